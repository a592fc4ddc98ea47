// The official Azure Storage SDK (@azure/storage-blob) as the other side of
// azure_sdk_interop_test.cc, on the Azurite the test started. Connection string from
// AZURE_STORAGE_CONNECTION_STRING. Commands:
//   upload FILE CONTAINER BLOB BLOCK_BYTES   uploadFile (Put Block + Put Block List above BLOCK_BYTES)
//   download CONTAINER BLOB FILE             downloadToFile
//   props CONTAINER BLOB                     prints {size, md5, metadata, blockCount} as JSON
//   sas                                      prints an account SAS (read/write/list/delete, 1 h)
//   mkcontainer CONTAINER                    creates the container if it does not exist
// Usage: node azure_sdk_interop.js NODE_MODULES_DIR COMMAND ARGS...
const path = require('path');
const blob = require(path.resolve(process.argv[2]) + '/@azure/storage-blob');
const [cmd, ...args] = process.argv.slice(3);

async function main() {
  const svc = blob.BlobServiceClient.fromConnectionString(process.env.AZURE_STORAGE_CONNECTION_STRING);
  if (cmd === 'upload') {
    const [file, container, name, blockBytes] = args;
    const b = svc.getContainerClient(container).getBlockBlobClient(name);
    const n = Number(blockBytes);
    await b.uploadFile(file, { blockSize: n, maxSingleShotSize: n, concurrency: 4 });
  } else if (cmd === 'download') {
    const [container, name, file] = args;
    await svc.getContainerClient(container).getBlobClient(name).downloadToFile(file);
  } else if (cmd === 'props') {
    const [container, name] = args;
    const b = svc.getContainerClient(container).getBlockBlobClient(name);
    const p = await b.getProperties();
    const blocks = await b.getBlockList('committed');
    console.log(JSON.stringify({
      size: p.contentLength,
      md5: p.contentMD5 ? Buffer.from(p.contentMD5).toString('base64') : '',
      metadata: p.metadata,
      blockCount: blocks.committedBlocks.length,
    }));
  } else if (cmd === 'mkcontainer') {
    await svc.getContainerClient(args[0]).createIfNotExists();
  } else if (cmd === 'sas') {
    const m = /AccountName=([^;]+);AccountKey=([^;]+)/.exec(process.env.AZURE_STORAGE_CONNECTION_STRING);
    const cred = new blob.StorageSharedKeyCredential(m[1], m[2]);
    const sas = blob.generateAccountSASQueryParameters({
      expiresOn: new Date(Date.now() + 3600 * 1000),
      permissions: blob.AccountSASPermissions.parse('rwdlac'),
      resourceTypes: blob.AccountSASResourceTypes.parse('sco').toString(),
      services: blob.AccountSASServices.parse('b').toString(),
      protocol: 'https,http',
    }, cred);
    console.log(sas.toString());
  } else {
    throw new Error('unknown command ' + cmd);
  }
}
main().catch((e) => { console.error(e.stack || e); process.exit(1); });
