import { parseStoreCounters } from './budget';

describe('parseStoreCounters', () => {
  it('reads the round trips by command and the statements by command and shape, labels in any order', () => {
    const text = [
      '# HELP flowgate_store_commands_total MongoDB statements',
      '# TYPE flowgate_store_commands_total counter',
      'flowgate_store_commands_total{command="find",shape="by_id",service="execution"} 12',
      'flowgate_store_commands_total{service="execution",shape="scan",command="update"} 3',
      'flowgate_store_round_trips_total{command="find",service="execution"} 12',
      'flowgate_store_round_trips_total{command="update",service="execution"} 1',
      'flowgate_process_cpu_seconds_total{service="execution"} 1.5',
    ].join('\n');
    const c = parseStoreCounters(text);
    expect([...c.roundTrips]).toEqual([
      ['find', 12],
      ['update', 1],
    ]);
    expect([...c.statements]).toEqual([
      ['find/by_id', 12],
      ['update/scan', 3],
    ]);
  });
});
