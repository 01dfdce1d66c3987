import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

/** The bench's floor for the machine: `node:http` sending the bytes of BENCH_BODY_FILE. */
const body = readFileSync(process.env.BENCH_BODY_FILE!);
const headers: Record<string, string | number> = {
  'Content-Type': 'application/json; charset=utf-8',
  'Content-Length': body.length,
};
if (process.env.BENCH_BODY_ENCODING) headers['Content-Encoding'] = process.env.BENCH_BODY_ENCODING;

createServer((_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
}).listen(Number(process.env.PORT), '127.0.0.1');
