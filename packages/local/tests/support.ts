// What the local servers' tests share: how many servers listen, and whether a port answers.
import { connect } from 'node:net';

/**
 * Listening servers in this process: a failed start must leave the count where it was. A server's
 * 'close' comes before its handle is gone, which can take to the end of the next turn of the event
 * loop: counted after two.
 */
export async function listening(): Promise<number> {
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
}

/** Whether something accepts connections on 127.0.0.1:`port`. */
export function portAcceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
