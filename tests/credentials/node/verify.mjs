// Verifies credentials issued by hocvu with independent, widely used implementations:
// Digital Bazaar's VC library (Data Integrity eddsa-rdfc-2022, Bitstring Status List) and
// `jose` (the VC-JWT). Nothing is fetched: the document loader serves only what the input
// file gives (JSON-LD contexts, the DID document, status list credentials).
//
// Usage: node verify.mjs INPUT.json  ->  prints one JSON object with a result per case.
// INPUT: {"documents": {url: json}, "didDocument": {...},
//         "cases": [{"name": ..., "credential": {...}} | {"name": ..., "jwt": "..."}]}
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import * as jose from 'jose';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const didDocument = input.didDocument;
const documents = new Map(Object.entries(input.documents));

async function documentLoader(url) {
  if(url.startsWith(didDocument.id)) {
    const [, fragment] = url.split('#');
    if(!fragment) {
      return {contextUrl: null, documentUrl: url, document: didDocument};
    }
    const method = didDocument.verificationMethod.find(m => m.id === url);
    if(!method) {
      throw new Error(`no verification method ${url}`);
    }
    return {
      contextUrl: null,
      documentUrl: url,
      document: {'@context': 'https://w3id.org/security/multikey/v1', ...method}
    };
  }
  if(documents.has(url)) {
    return {contextUrl: null, documentUrl: url, document: documents.get(url)};
  }
  throw new Error(`document loader: ${url} is not available offline`);
}

async function verifyDataIntegrity(credential) {
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
  const result = await vc.verifyCredential({
    credential, suite, documentLoader, checkStatus
  });
  const errors = [];
  const collect = e => {
    if(!e) {
      return;
    }
    if(Array.isArray(e)) {
      e.forEach(collect);
      return;
    }
    errors.push(e.message || String(e));
    collect(e.errors);
  };
  collect(result.error);
  for(const r of result.results || []) {
    collect(r.error);
  }
  if(result.statusResult && !result.statusResult.verified) {
    collect(result.statusResult.error);
  }
  const revoked = result.statusResult?.results?.some(r => r.status === true) ?? null;
  return {verified: result.verified, revoked, errors};
}

async function verifyJwt(token) {
  try {
    const header = jose.decodeProtectedHeader(token);
    const method = didDocument.verificationMethod.find(m => m.id === header.kid);
    if(!method) {
      return {verified: false, errors: [`unknown kid ${header.kid}`]};
    }
    const keyPair = await Ed25519Multikey.from(
      {'@context': 'https://w3id.org/security/multikey/v1', ...method});
    const jwk = await Ed25519Multikey.toJwk({keyPair});
    const key = await jose.importJWK(jwk, 'Ed25519');
    const {payload, protectedHeader} = await jose.compactVerify(
      token, key, {algorithms: ['Ed25519', 'EdDSA']});
    const credential = JSON.parse(new TextDecoder().decode(payload));
    return {
      verified: protectedHeader.typ === 'vc+jwt',
      typ: protectedHeader.typ, alg: protectedHeader.alg, credentialId: credential.id,
      errors: []
    };
  } catch(e) {
    return {verified: false, errors: [e.message || String(e)]};
  }
}

const out = {};
for(const c of input.cases) {
  try {
    out[c.name] = c.jwt ? await verifyJwt(c.jwt) : await verifyDataIntegrity(c.credential);
  } catch(e) {
    out[c.name] = {verified: false, errors: [e.message || String(e)]};
  }
}
process.stdout.write(JSON.stringify(out));
