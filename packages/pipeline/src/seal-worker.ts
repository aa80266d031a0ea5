/**
 * A sealing thread for the SealPool: franks and encrypts batches of messages and
 * returns each sealed batch in the codec's binary layout. It plays the clients, like
 * the generator, so it gets the run's client secret at start. Batches arrive as
 * transferred buffers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { decodeMessages, encodeMessages } from '@blindspot/core';
import { Sealer } from '@blindspot/core/world';
import type { SealReply, SealRequest, SealWorkerData } from './seal-pool';

const port = parentPort;
if (!port) throw new Error('seal-worker.ts runs only as a worker thread');
const data = workerData as SealWorkerData;
const sealer = new Sealer(data.clientSecret, data.franking);

port.on('message', (request: SealRequest) => {
  try {
    // The plaintexts stay where they came, in the request's buffer: the native kernel seals them from there.
    const messages = encodeMessages(sealer.sealPlain(decodeMessages(request.messages), request.places));
    const reply: SealReply = { id: request.id, messages };
    port.postMessage(reply, [messages.buffer as ArrayBuffer]);
  } catch (err) {
    const reply: SealReply = { id: request.id, error: err instanceof Error ? err.message : String(err) };
    port.postMessage(reply);
  }
});
