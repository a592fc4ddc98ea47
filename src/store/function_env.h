// How a store travels to a function: a function platform reserves AWS_* for the runtime (a real
// Lambda gets its credentials from its execution role), so the caller passes the S3 (Azure, GCS)
// endpoint and credentials of its store as STRAIGHTLINE_STORE_* and the function side opens the
// same store from them. Both directions live here so that the names cannot drift apart.
//
// Also: copying a directory of files (a model artifact) into a store prefix and back, which is
// how a model reaches a function that runs on another host.
// Thread safety: stateless; the functions read the process environment.
#pragma once

#include <map>
#include <string>

#include "common/status.h"
#include "store/object_store.h"

namespace sl::store {

// STRAIGHTLINE_STORE_{ENDPOINT,REGION,ACCESS_KEY_ID,SECRET_ACCESS_KEY,SESSION_TOKEN} from this
// process's AWS_{ENDPOINT_URL,REGION,ACCESS_KEY_ID,SECRET_ACCESS_KEY,SESSION_TOKEN}, and
// STRAIGHTLINE_STORE_AZURE_{CONNECTION_STRING,KEY,SAS_TOKEN} from AZURE_STORAGE_{CONNECTION_STRING,
// KEY,SAS_TOKEN} plus STRAIGHTLINE_STORE_AZURE_ENDPOINT (AZURE_STORAGE_BLOB_ENDPOINT, else the
// connection string's blob endpoint: the function platform opens egress to it), and
// STRAIGHTLINE_STORE_GS_{ACCESS_KEY_ID,SECRET_ACCESS_KEY} and STRAIGHTLINE_STORE_GCS_ENDPOINT from
// GS_{ACCESS_KEY_ID,SECRET_ACCESS_KEY} and GOOGLE_CLOUD_STORAGE_ENDPOINT; unset ones are left out.
std::map<std::string, std::string> StoreEnvironmentForFunctions();

// The StoreOptions a function opens its store with, from the STRAIGHTLINE_STORE_* environment;
// unset variables leave the store's own defaults (the AWS_* environment).
StoreOptions StoreOptionsFromFunctionEnvironment();

// Puts every regular file directly in `dir` under `prefix` + file name (no subdirectories: a
// model artifact is flat). An object that already exists with the same SHA-256 is kept.
// Errors name the file and the key.
Status UploadDirectory(const std::string& dir, ObjectStore* store, const std::string& prefix);

// Gets every object under `prefix` into `dir` (created if missing), checksums verified, each
// file written atomically. NOT_FOUND naming the store and prefix when there is none.
Status DownloadPrefix(ObjectStore* store, const std::string& prefix, const std::string& dir);

}  // namespace sl::store
