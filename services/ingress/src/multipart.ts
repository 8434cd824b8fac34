import { ApiError } from '@flowgate/contracts';
import { addFormField, emptyFormFields, type Fields } from '@flowgate/core';
import busboy from 'busboy';

/**
 * multipart/form-data webhook bodies (already buffered and size-limited by the body parser), read
 * with busboy: text fields become strings, file parts `{filename, content_type, base64}`; a name
 * sent twice becomes an array. Part counts are bounded; a malformed body is a 400.
 */
export interface FilePart {
  filename: string;
  content_type: string;
  base64: string;
}
export type MultipartValue = string | FilePart;
export type MultipartFields = Fields<MultipartValue>;

export const MULTIPART_LIMITS = { fields: 1000, files: 20, parts: 1020, fieldNameSize: 200 } as const;

export function parseMultipart(body: Buffer, contentType: string): Promise<MultipartFields> {
  return new Promise((resolve, reject) => {
    const fail = (message: string) => reject(new ApiError('invalid_request', `Malformed multipart body: ${message}`));
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { 'content-type': contentType },
        limits: { ...MULTIPART_LIMITS, fieldSize: body.length, fileSize: body.length },
        defParamCharset: 'utf8',
      });
    } catch (err) {
      return fail(err instanceof Error ? err.message : 'unreadable');
    }
    const fields = emptyFormFields<MultipartValue>();
    const tooMany = (what: string) => () => reject(new ApiError('invalid_request', `Too many multipart ${what}`));
    parser.on('field', (name, value) => addFormField(fields, name, value));
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () =>
        addFormField(fields, name, {
          filename: info.filename ?? '',
          content_type: info.mimeType,
          base64: Buffer.concat(chunks).toString('base64'),
        }),
      );
    });
    parser.on('partsLimit', tooMany('parts'));
    parser.on('filesLimit', tooMany('files'));
    parser.on('fieldsLimit', tooMany('fields'));
    parser.on('error', (err: unknown) => fail(err instanceof Error ? err.message : 'unreadable'));
    parser.on('close', () => resolve(fields));
    parser.end(body);
  });
}
