/** Client-side scanning with safety vouchers (Apple 2021): clients hash images before encrypting. */
import { z } from 'zod';
import { positiveCount, surfaceList } from '../scenario/fields';
import { defineRoute } from './route';

export const clientSideScanning = defineRoute({
  name: 'clientSideScanning',
  label: 'client-side scan',
  reviewRank: 1,
  block: {
    key: 'clientSideScanning',
    schema: z
      .strictObject({
        enabled: z.boolean().default(false).describe('Clients hash images before encrypting and attach safety vouchers (Apple 2021).'),
        surfaces: surfaceList(['dm'], 'client-side scanning'),
        threshold: positiveCount(1_000_000)
          .default(30)
          .describe("The server can open an account's vouchers only once it holds at least this many matches (threshold secret sharing; Apple: 30)."),
      })
      .prefault({})
      .describe('Route: client-side scanning with safety vouchers (Apple 2021).'),
  },
  detect: { kind: 'voucher', stage: 'scanner', enabled: (s) => s.enabled, threshold: (s) => s.threshold },
});
