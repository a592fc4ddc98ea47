// AzureStore: "az://ACCOUNT/CONTAINER[/PREFIX]" on Azure Blob Storage or an emulator (Azurite),
// speaking the Blob REST API (x-ms-version azure_rest.h's kAzureApiVersion) over the same
// libcurl client as the S3 backend (s3_http.h). Objects are block blobs named PREFIX/KEY.
//
// Endpoint and credentials, first found wins (options fields before environment variables):
//   azure_connection_string / AZURE_STORAGE_CONNECTION_STRING (AccountName, AccountKey,
//     SharedAccessSignature, BlobEndpoint, DefaultEndpointsProtocol, EndpointSuffix,
//     UseDevelopmentStorage=true);
//   else the URI's account with azure_account_key / AZURE_STORAGE_KEY (Shared Key) or
//     azure_sas_token / AZURE_STORAGE_SAS_TOKEN (appended to every URL, nothing signed);
//   endpoint: azure_endpoint, AZURE_STORAGE_BLOB_ENDPOINT (straightline's own), the connection
//     string's, else https://ACCOUNT.blob.core.windows.net. Azurite is path-style:
//     http://127.0.0.1:10000/devstoreaccount1.
// Shared Key when a key is known, else the SAS. The account named by the credentials must be the
// URI's.
//
// Integrity: every put records the object's SHA-256 as metadata x-ms-meta-sha256 and sends
// Content-MD5 of each request body (Put Blob, each Put Block), which the service checks in
// transit (400 Md5Mismatch, retried). Get/GetToFile verify the SHA-256; blobs written by other
// tools carry none and are verified by their Content-MD5 property when they have one (Put Blob
// uploads do), otherwise returned unverified (Head's checksum and sha256 are then "").
// Large objects: above options.multipart_threshold, Put Block of options.part_size blocks
// (options.upload_concurrency in flight; PutFile streams each from the file, never holding more
// than the curl buffers, while a hashing thread reads the file once ahead of the uploads for each
// block's MD5 and the whole SHA-256) and one Put Block List that publishes the blob atomically
// with its metadata. Block ids carry the put's random id, so concurrent writers of one blob never mix
// their uncommitted blocks; uncommitted blocks of a failed upload are discarded by the service
// (after a week on Azure), and the old blob stays readable meanwhile.
// PutIfAbsent: `If-None-Match: *` on Put Blob / Put Block List (409 BlobAlreadyExists or 412
// ConditionNotMet → ALREADY_EXISTS), with the same one-time probe as s3 in "auto" mode.
// Listing: List Blobs with prefix, maxresults and marker/NextMarker continuation.
// Retries, lost replies: as s3_store.h (UNAVAILABLE retried per options.retry: transport errors,
// 408, 429, 5xx incl. 503 ServerBusy, 400 Md5Mismatch; every put carries x-ms-meta-sl_put_id so a
// retried put refused by its own earlier attempt is recognised as done).
// Errors name the store URI, the key, the HTTP status and Azure's error code.
// Thread safety: all methods may be called concurrently.
#pragma once

#include <memory>
#include <string>

#include "store/object_store.h"

namespace sl::store {

Result<std::unique_ptr<ObjectStore>> OpenAzureStoreFromUri(std::string_view uri, const StoreOptions& options = {});

}  // namespace sl::store
