// The Shared Key vectors of azure_rest_test.cc, computed by the official SDK's signing policy with its
// clock pinned. Usage: node azure_sdk_sign_vectors.js .deps/node_modules
const { storageSharedKeyCredentialPolicy } = require(require('path').resolve(process.argv[2]) + '/@azure/storage-common/dist/commonjs/policies/StorageSharedKeyCredentialPolicyV2.js');
const { createPipelineRequest, createHttpHeaders } = require(require('path').resolve(process.argv[2]) + '/@azure/core-rest-pipeline');
const key = Buffer.from('Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==', 'base64');
const p = storageSharedKeyCredentialPolicy({ accountName: 'devstoreaccount1', accountKey: key });
function go(method, url, headers, body) {
  const req = createPipelineRequest({ url, method, headers: createHttpHeaders(headers), body });
  const RealDate = Date;
  global.Date = class extends RealDate { constructor() { super('2026-12-07T13:19:01Z'); } };
  p.sendRequest(req, async (r) => { console.log(JSON.stringify({ method, url, date: r.headers.get('x-ms-date'), auth: r.headers.get('authorization') })); return {}; });
  global.Date = RealDate;
}
go('PUT', 'http://127.0.0.1:10000/devstoreaccount1/sl-test/runs/7/a%20b.bin', { 'x-ms-version': '2021-08-06', 'x-ms-blob-type': 'BlockBlob', 'content-type': 'application/octet-stream', 'x-ms-meta-sha256': 'abc', 'if-none-match': '*', 'content-md5': 'XUFAKrxLKna5cZ2REBfFkg==' }, 'hello');
go('GET', 'http://127.0.0.1:10000/devstoreaccount1/sl-test?restype=container&comp=list&prefix=runs%2F7%2F&maxresults=7&marker=2%21abc', { 'x-ms-version': '2021-08-06' });
go('PUT', 'https://acct.blob.core.windows.net/c1/k?comp=block&blockid=YWJjZA%3D%3D', { 'x-ms-version': '2021-08-06', 'content-length': '0' });
