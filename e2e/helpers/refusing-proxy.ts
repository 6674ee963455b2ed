import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RefusingProxy {
  endpoint: string;
  /** While true, every write (PUT, POST) is answered 403 AccessDenied, as S3 does after a policy change. */
  refusing: boolean;
  close(): Promise<void>;
}

/** An HTTP proxy in front of s3rver (which checks no permission itself) that can refuse writes. */
export async function startRefusingProxy(targetPort: number): Promise<RefusingProxy> {
  const proxy = { refusing: false } as RefusingProxy;
  const server: Server = createServer((req, res) => {
    if (proxy.refusing && (req.method === "PUT" || req.method === "POST")) {
      req.resume();
      req.on("end", () => {
        res.writeHead(403, { "Content-Type": "application/xml" });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
      });
      return;
    }
    const forward = request({ host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return proxy;
}
