// A Lambda client built on the official AWS SDK for JavaScript v3 (@aws-sdk/client-lambda), as a
// user's Node.js program would call `straightline platform serve`. Run by js_sdk_test.cc:
//
//   NODE_PATH=.deps/node_modules node js_sdk_client.cjs ENDPOINT ACCESS_KEY_ID SECRET OP ARGS...
//     OP: invoke FUNCTION PAYLOAD [QUALIFIER] | create FUNCTION HANDLER | get FUNCTION |
//         invoke-skewed FUNCTION PAYLOAD (the client's clock 10 minutes slow, 2 attempts: the SDK
//         must correct its clock from the server's "Signature expired" answer and retry)
//
// Prints one JSON line: {"ok":true,...result} or {"ok":false,"name":ERROR_TYPE,"status":HTTP,
// "message":...}; exits 0 either way (2 on bad usage), so the test reads what the SDK reported.
'use strict';
const {
  LambdaClient, InvokeCommand, CreateFunctionCommand, GetFunctionCommand,
} = require('@aws-sdk/client-lambda');

async function main(argv) {
  const [endpoint, accessKeyId, secretAccessKey, op, ...args] = argv;
  if (!op) {
    process.stderr.write('usage: js_sdk_client.cjs ENDPOINT AKID SECRET invoke|create|get ...\n');
    process.exit(2);
  }
  const skewed = op === 'invoke-skewed';
  const client = new LambdaClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId, secretAccessKey },
    maxAttempts: skewed ? 2 : 1,  // an auth failure must surface, not be retried
    systemClockOffset: skewed ? -10 * 60 * 1000 : 0,
  });
  try {
    if (op === 'invoke' || skewed) {
      const [fn, payload, qualifier] = args;
      const r = await client.send(new InvokeCommand({
        FunctionName: fn,
        Payload: new TextEncoder().encode(payload),
        Qualifier: qualifier || undefined,
      }));
      return {
        ok: true,
        status: r.StatusCode,
        payload: new TextDecoder().decode(r.Payload),
        functionError: r.FunctionError || '',
        executedVersion: r.ExecutedVersion,
        attempts: r.$metadata.attempts,
      };
    }
    if (op === 'create') {
      const [fn, handler] = args;
      const r = await client.send(new CreateFunctionCommand({
        FunctionName: fn,
        Handler: handler,
        Runtime: 'provided.al2023',
        Role: 'arn:aws:iam::000000000000:role/straightline',
        Code: {},
        MemorySize: 256,
        Timeout: 30,
        Environment: { Variables: { MODE: 'sdk' } },
      }));
      return { ok: true, status: r.$metadata.httpStatusCode, functionArn: r.FunctionArn,
               state: r.State, memorySize: r.MemorySize };
    }
    if (op === 'get') {
      const r = await client.send(new GetFunctionCommand({ FunctionName: args[0] }));
      return { ok: true, status: r.$metadata.httpStatusCode, configuration: r.Configuration };
    }
    process.stderr.write(`js_sdk_client.cjs: unknown op '${op}'\n`);
    process.exit(2);
  } catch (e) {
    return { ok: false, name: e.name, status: e.$metadata ? e.$metadata.httpStatusCode : 0,
             message: e.message };
  }
}

main(process.argv.slice(2)).then((r) => process.stdout.write(JSON.stringify(r) + '\n'));
