// Verifies credentials issued by hocvu with independent, widely used implementations:
// Digital Bazaar's VC library (Data Integrity eddsa-rdfc-2022, Bitstring Status List),
// `jose` (the VC-JWT, checked as Open Badges 3.0 §8.2 profiles it) and uPort/Veramo's
// `did-jwt-vc` (resolves the issuer from the `iss` claim through a DID resolver).
// Nothing is fetched: the document loader and the DID resolver serve only what the input
// file gives (JSON-LD contexts, the DID documents, status list credentials).
//
// Usage: node verify.mjs INPUT.json  ->  prints one JSON object with a result per case.
// INPUT: {"documents": {url: json}, "didDocument": {...}, "didDocuments": [{...}]?,
//         "cases": [{"name": ..., "credential": {...}} | {"name": ..., "jwt": "..."}
//                   | {"name": ..., "didJwtVc": "..."}]}
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import * as jose from 'jose';
import {verifyCredential as didJwtVerifyCredential} from 'did-jwt-vc';
import {Resolver} from 'did-resolver';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const didDocument = input.didDocument;
const documents = new Map(Object.entries(input.documents));
const didDocuments = new Map(
  [didDocument, ...(input.didDocuments || [])].map(d => [d.id, d]));

// did:web resolution from the given documents only (no network).
const resolver = new Resolver({
  web: async did => {
    const doc = didDocuments.get(did);
    return doc ? {
      didResolutionMetadata: {contentType: 'application/did+ld+json'},
      didDocument: doc, didDocumentMetadata: {}
    } : {
      didResolutionMetadata: {error: 'notFound'}, didDocument: null, didDocumentMetadata: {}
    };
  }
});

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

// Open Badges 3.0 §8.2: header alg/kid/typ "JWT" and no other header; the payload is the
// credential plus iss = issuer.id, jti = id, sub = credentialSubject.id,
// nbf = validFrom (and exp = validUntil when present).
const HEADERS = new Set(['alg', 'kid', 'typ']);
const seconds = text => Math.floor(Date.parse(text) / 1000);

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
    const {payload: claims, protectedHeader} = await jose.jwtVerify(
      token, key, {algorithms: ['EdDSA', 'Ed25519'], typ: 'JWT'});
    const errors = [];
    for(const name of Object.keys(protectedHeader)) {
      if(!HEADERS.has(name)) {
        errors.push(`header ${name} is not allowed by OB 3.0`);
      }
    }
    const issuer = typeof claims.issuer === 'string' ? claims.issuer : claims.issuer?.id;
    const expect = {
      iss: issuer, jti: claims.id, sub: claims.credentialSubject?.id,
      nbf: seconds(claims.validFrom)
    };
    if(claims.validUntil !== undefined) {
      expect.exp = seconds(claims.validUntil);
    }
    for(const [name, value] of Object.entries(expect)) {
      if(claims[name] === undefined || claims[name] !== value) {
        errors.push(`claim ${name} is ${claims[name]}, expected ${value}`);
      }
    }
    if(method.controller !== issuer) {
      errors.push('the key is not controlled by the issuer');
    }
    return {
      verified: errors.length === 0,
      typ: protectedHeader.typ, alg: protectedHeader.alg, credentialId: claims.id,
      errors
    };
  } catch(e) {
    return {verified: false, errors: [e.message || String(e)]};
  }
}

// did-jwt-vc checks the signature against the `iss` DID's keys and the nbf/exp claims; its
// data-model checks are for VC 1.1 (`vc` claim), so `format: false` leaves VC 2.0 alone.
async function verifyDidJwtVc(token) {
  try {
    const verified = await didJwtVerifyCredential(token, resolver, {policies: {format: false}});
    return {
      verified: verified.verified === true,
      issuer: verified.issuer, kid: verified.signer?.id,
      credentialId: verified.payload.jti, errors: []
    };
  } catch(e) {
    return {verified: false, errors: [e.message || String(e)]};
  }
}

const out = {};
for(const c of input.cases) {
  try {
    if(c.didJwtVc) {
      out[c.name] = await verifyDidJwtVc(c.didJwtVc);
    } else {
      out[c.name] = c.jwt ? await verifyJwt(c.jwt) : await verifyDataIntegrity(c.credential);
    }
  } catch(e) {
    out[c.name] = {verified: false, errors: [e.message || String(e)]};
  }
}
process.stdout.write(JSON.stringify(out));
