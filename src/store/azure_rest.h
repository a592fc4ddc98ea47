// The pieces of the Azure Blob Storage REST protocol the az:// backend (azure_store.h) needs,
// kept free of I/O so each is unit-tested on its own:
//
//   * Configuration: account, key, SAS token and blob endpoint from a connection string
//     ("DefaultEndpointsProtocol=...;AccountName=...;AccountKey=...;BlobEndpoint=...", or
//     "UseDevelopmentStorage=true" for the emulator) or from AZURE_STORAGE_ACCOUNT /
//     AZURE_STORAGE_KEY / AZURE_STORAGE_SAS_TOKEN.
//   * Shared Key authorization for the Blob service (version 2009-09-19 and later): the
//     string-to-sign (verb, the eleven standard headers with Content-Length empty when 0, the
//     x-ms-* headers sorted, the canonicalized resource "/account/<path as sent>" plus each query
//     parameter lowercased, sorted, URL-decoded as "\nname:value") and its HMAC-SHA256 under
//     the base64-decoded account key.
//   * Errors: the code from the x-ms-error-code header (HEAD replies have no body) or the
//     <Error><Code>/<Message> body.
//   * List Blobs (restype=container&comp=list) result pages: names, sizes, ETags, times and
//     NextMarker.
// Thread safety: stateless.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace sl::store {

// The storage REST API version every request names (x-ms-version). Azurite 3.x accepts it.
inline constexpr const char* kAzureApiVersion = "2021-08-06";

// The emulator's documented account and key (UseDevelopmentStorage=true; Azurite's default).
inline constexpr const char* kAzuriteAccount = "devstoreaccount1";
inline constexpr const char* kAzuriteKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

struct AzureConfig {
  std::string account;        // "devstoreaccount1"
  std::string account_key;    // base64, as the portal shows it; empty when using a SAS
  std::string sas_token;      // query string without the leading '?'; empty when using a key
  std::string blob_endpoint;  // "https://acct.blob.core.windows.net", "http://127.0.0.1:10000/devstoreaccount1"
};

// Parses a storage connection string. Names are case-insensitive; values may contain '='.
// Understood: DefaultEndpointsProtocol, AccountName, AccountKey, BlobEndpoint, EndpointSuffix,
// SharedAccessSignature, UseDevelopmentStorage; others (QueueEndpoint, ...) are ignored. Without
// BlobEndpoint the endpoint is <protocol>://<account>.blob.<suffix> (https, core.windows.net).
// INVALID_ARGUMENT naming the bad segment (never echoing the key).
Result<AzureConfig> ParseAzureConnectionString(std::string_view text);

// "https://host[:port][/path]" without a trailing '/', checked for the scheme and a host.
Result<std::string> NormalizeAzureEndpoint(std::string_view url);

// What Shared Key signs about one request.
struct AzureSignRequest {
  std::string method;                                      // "GET", "PUT", ...
  std::string path;                                        // URL path as sent (percent-encoded), "/" at least
  std::vector<std::pair<std::string, std::string>> query;  // names and decoded values
  std::map<std::string, std::string> headers;              // lowercase names (x-ms-date among them)
  uint64_t content_length = 0;                             // the body's length; 0 signs as ""
};

std::string AzureSharedKeyStringToSign(std::string_view account, const AzureSignRequest& request);
// Base64(HMAC-SHA256(Base64Decode(key), string_to_sign)). INVALID_ARGUMENT if the key is not base64.
Result<std::string> AzureSharedKeySignature(std::string_view account_key, std::string_view string_to_sign);
// The Authorization header value: "SharedKey <account>:<signature>".
Result<std::string> AzureSharedKeyAuthorization(std::string_view account, std::string_view account_key,
                                                const AzureSignRequest& request);

// RFC 1123 date as x-ms-date wants it: "Sun, 06 Nov 1994 08:49:37 GMT" (independent of locale).
std::string FormatRfc1123(WallTime t);

// Percent-encodes a blob name for the URL path: everything but A-Z a-z 0-9 - _ . ~ and '/'.
std::string AzureEncodePath(std::string_view name);
// Percent-encodes a query value (also '/').
std::string AzureEncodeQueryValue(std::string_view value);

struct AzureError {
  std::string code;     // "BlobNotFound", "ContainerNotFound", "ServerBusy", ...
  std::string message;  // the first line of <Message> (Azure appends RequestId and Time lines)
};
// From the x-ms-error-code header value (may be empty) and the reply body (may be empty or not XML).
AzureError ParseAzureError(std::string_view error_code_header, std::string_view body);

struct AzureListEntry {
  std::string name;
  uint64_t size = 0;
  std::string etag;  // quotes removed
  WallTime last_modified{};
};
struct AzureListPage {
  std::vector<AzureListEntry> entries;
  std::string next_marker;  // empty on the last page
};
// An <EnumerationResults> document of List Blobs. Errors name what was malformed.
Result<AzureListPage> ParseAzureListBlobs(std::string_view xml);

}  // namespace sl::store
