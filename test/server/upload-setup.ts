/**
 * The server the upload specs share in one file: a test server with an upload size limit, a tus
 * client for it, and two organisations with a case each (an upload must name a case, and the
 * specs check that one organisation cannot reach the other's).
 */
import { startTestServer, type TestOrg, type TestServer } from './harness.js';
import { tusClient, type TusClient } from './tus-client.js';

export interface UploadSetup {
  t: TestServer;
  tus: TusClient;
  a: TestOrg;
  b: TestOrg;
  caseA: string;
  caseB: string;
}

export async function startUploadServer(maxUploadBytes: number): Promise<UploadSetup> {
  const t = await startTestServer({ maxUploadBytes });
  const a = await t.org('Upload Hospital A');
  const b = await t.org('Upload Hospital B');
  const newCase = async (o: TestOrg) => (await t.json(o.tokens.requester, 'POST', '/api/cases', { purpose: 'cranial implant', anatomy: 'skull' })).id as string;
  return { t, tus: tusClient(t), a, b, caseA: await newCase(a), caseB: await newCase(b) };
}
