#include "serve/v2/v2_codec.h"

#include <png.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ml/image/jpeg_codec.h"

namespace sl::serve::v2 {
namespace {

using nlohmann::json;

ModelInput Image2x3() {
  ModelInput in;
  in.shape = {1, 2, 3};
  return in;
}

ModelInput Text() {
  ModelInput in;
  in.text = true;
  in.shape = {1};
  return in;
}

Result<InferenceRequest> Json(const json& body, const ModelInput& in = Image2x3()) {
  return DecodeRequest("m", "application/json", body.dump(), in);
}

json Req(json shape, std::string dt, json data) {
  return {{"inputs", {{{"name", "input__0"}, {"shape", shape}, {"datatype", dt}, {"data", data}}}}};
}

// Expects INVALID_ARGUMENT whose message contains every piece.
void ExpectError(const Result<InferenceRequest>& r, std::vector<std::string> pieces) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().ToString();
  for (const auto& p : pieces) {
    EXPECT_NE(r.status().message().find(p), std::string::npos)
        << "'" << p << "' not in: " << r.status().message();
  }
}

std::string MakePng(int w, int h, int channels, unsigned char value) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = w;
  image.height = h;
  image.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  std::vector<unsigned char> px(static_cast<size_t>(w * h * channels), value);
  px[0] = 255;
  png_alloc_size_t size = 0;
  EXPECT_TRUE(png_image_write_to_memory(&image, nullptr, &size, 0, px.data(), 0, nullptr));
  std::string out(size, '\0');
  EXPECT_TRUE(png_image_write_to_memory(&image, out.data(), &size, 0, px.data(), 0, nullptr));
  out.resize(size);
  return out;
}

TEST(V2Decode, FlatAndNestedFp32) {
  auto r = Json(Req({2, 1, 2, 3}, "FP32", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->batch, 2);
  EXPECT_EQ(r->dense.size(), 12u);
  EXPECT_EQ(r->dense[11], 11.0f);
  EXPECT_EQ(r->input_name, "input__0");
  json nested = {{{{0.5, 1, 2}, {3, 4, 5}}}};
  auto n = Json(Req({1, 1, 2, 3}, "FP32", nested));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->dense[0], 0.5f);
  EXPECT_EQ(n->dense[5], 5.0f);
  // [n, numel] is accepted too.
  EXPECT_TRUE(Json(Req({1, 6}, "FP32", {1, 2, 3, 4, 5, 6})).ok());
}

// As Triton: the input must be the model's, by name and datatype; nothing is converted silently.
TEST(V2Decode, WrongInputNameOrDatatypeIsRejectedInTritonsWords) {
  json wrong_name = Req({1, 6}, "FP32", {1, 2, 3, 4, 5, 6});
  wrong_name["inputs"][0]["name"] = "x";
  ExpectError(Json(wrong_name), {"unexpected inference input 'x' for model 'm'", "'input__0'"});
  ModelInput named = Image2x3();
  named.name = "pixels";
  EXPECT_TRUE(DecodeRequest("m", "application/json", wrong_name.dump(), named).status().message().find(
                  "its input is 'pixels'") != std::string::npos);
  ExpectError(Json(Req({1, 6}, "FP64", {1, 2, 3, 4, 5, 6})),
              {"inference input 'input__0' data-type is 'FP64', but model 'm' expects 'FP32'"});
  ExpectError(Json(Req({1, 6}, "UINT8", {0, 255, 51, 0, 0, 0})),
              {"data-type is 'UINT8', but model 'm' expects 'FP32'"});
  ExpectError(Json(Req({2}, "FP32", {1, 2}), Text()),
              {"data-type is 'FP32', but model 'm' expects 'BYTES'"});
  // The binary tensor data extension is held to the same rules.
  std::string header = json{{"inputs", {{{"name", "input__0"}, {"shape", {1, 6}}, {"datatype", "FP64"},
                                         {"parameters", {{"binary_data_size", 48}}}}}}}.dump();
  ExpectError(DecodeRequest("m", "application/octet-stream", header + std::string(48, '\0'), Image2x3(),
                            static_cast<int64_t>(header.size())),
              {"data-type is 'FP64', but model 'm' expects 'FP32'"});
}

TEST(V2Decode, IdParametersAndOutputs) {
  json body = Req({1, 6}, "FP32", {1, 2, 3, 4, 5, 6});
  body["id"] = "req-7";
  body["parameters"] = {{"k", 1}};
  body["outputs"] = {{{"name", "label"}}};
  auto r = Json(body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "req-7");
  EXPECT_EQ(r->outputs, std::vector<std::string>{"label"});
  EXPECT_EQ(r->wire_bytes, static_cast<int64_t>(body.dump().size()));
}

TEST(V2Decode, ErrorsNameTheField) {
  ExpectError(DecodeRequest("m", "application/json", "{\"inputs\": [", Image2x3()),
              {"not valid JSON"});
  ExpectError(Json(json::array()), {"expected a JSON object", "array"});
  ExpectError(Json(json::object()), {"inputs: missing"});
  ExpectError(Json({{"inputs", 3}}), {"inputs: expected an array"});
  ExpectError(Json({{"inputs", json::array()}}), {"exactly 1 input", "got 0"});
  ExpectError(Json({{"inputs", {1}}}), {"inputs[0]: expected an object"});
  json no_name = Req({1, 6}, "FP32", {1, 2, 3, 4, 5, 6});
  no_name["inputs"][0].erase("name");
  ExpectError(Json(no_name), {"inputs[0].name"});
  ExpectError(Json(Req({1, 6}, "FP16", {1, 2, 3, 4, 5, 6})), {"data-type is 'FP16'", "expects 'FP32'"});
  ExpectError(Json(Req({1, 6}, "BYTES", {"a"})), {"data-type is 'BYTES'", "expects 'FP32'"});
  ExpectError(Json(Req({1, 7}, "FP32", {1, 2, 3, 4, 5, 6, 7})),
              {"inputs[0].shape", "[n,1,2,3]", "[1,7]"});
  ExpectError(Json(Req({1, 2, 3}, "FP32", {1, 2, 3, 4, 5, 6})), {"inputs[0].shape", "[1,2,3]"});
  ExpectError(Json(Req({0, 6}, "FP32", json::array())), {"inputs[0].shape[0]", "batch size 0"});
  ExpectError(Json(Req({1, -6}, "FP32", {1})), {"inputs[0].shape[1]"});
  ExpectError(Json(Req("x", "FP32", {1})), {"inputs[0].shape: expected an array"});
  ExpectError(Json(Req({2, 6}, "FP32", {1, 2, 3, 4, 5, 6})),
              {"inputs[0].data", "needs 12 values, got 6"});
  ExpectError(Json(Req({1, 6}, "FP32", {1, 2, 3, 4, 5, 6, 7})),
              {"inputs[0].data", "more than 6 values"});
  ExpectError(Json(Req({1, 6}, "FP32", {1, 2, "3", 4, 5, 6})),
              {"inputs[0].data[2]", "expected a number", "string"});
  ExpectError(Json(Req({1, 6}, "FP32", {{1, 2, 3}, {4, 5, "x"}})), {"inputs[0].data[1][2]"});
  ExpectError(Json(Req({1, 6}, "FP32", 7)), {"inputs[0].data: expected an array"});
  json no_data = Req({1, 6}, "FP32", {1});
  no_data["inputs"][0].erase("data");
  ExpectError(Json(no_data), {"inputs[0].data: missing"});
  json bad_id = Req({1, 6}, "FP32", {1, 2, 3, 4, 5, 6});
  bad_id["id"] = 5;
  ExpectError(Json(bad_id), {"id: expected a string"});
  json bad_out = Req({1, 6}, "FP32", {1, 2, 3, 4, 5, 6});
  bad_out["outputs"] = {{{"name", "logits"}}};
  ExpectError(Json(bad_out), {"outputs[0].name", "logits"});
  json bad_params = Req({1, 6}, "FP32", {1, 2, 3, 4, 5, 6});
  bad_params["parameters"] = "x";
  ExpectError(Json(bad_params), {"parameters: expected an object"});
  std::string deep = "[";
  for (int i = 0; i < 40; ++i) deep += "[";
  deep += "1";
  for (int i = 0; i < 41; ++i) deep += "]";
  std::string body = R"({"inputs":[{"name":"input__0","shape":[1,6],"datatype":"FP32","data":)" + deep +
                     "}]}";
  ExpectError(DecodeRequest("m", "application/json", body, Image2x3()), {"nested deeper"});
}

TEST(V2Decode, TextModels) {
  auto r = Json(Req({2}, "BYTES", {"hello", "world"}), Text());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->texts, (std::vector<std::string>{"hello", "world"}));
  ExpectError(Json(Req({2}, "FP32", {1, 2}), Text()), {"expects 'BYTES'"});
  ExpectError(Json(Req({2, 2}, "BYTES", {"a", "b", "c", "d"}), Text()), {"[n] or [n,1]"});
  ExpectError(Json(Req({2}, "BYTES", {"a", 1}), Text()), {"inputs[0].data[1]", "string"});
  ExpectError(Json(Req({3}, "BYTES", {"a", "b"}), Text()), {"needs 3 strings, got 2"});
}

TEST(V2Decode, BinaryBodies) {
  std::string u8 = {0, 0, 0, 0, 0, static_cast<char>(255)};
  auto r = DecodeRequest("m", "application/octet-stream", u8, Image2x3());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->batch, 1);
  EXPECT_FLOAT_EQ(r->dense[5], 1.0f);
  EXPECT_EQ(r->wire_bytes, 6);
  std::vector<float> f = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};
  std::string fb(reinterpret_cast<const char*>(f.data()), 24);
  auto r2 = DecodeRequest("m", "application/octet-stream", fb, Image2x3());
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(r2->dense, f);
  ExpectError(DecodeRequest("m", "application/octet-stream", "abc", Image2x3()),
              {"3 bytes", "6 UINT8", "24 bytes of FP32"});
  float nan = std::numeric_limits<float>::quiet_NaN();
  std::string nb = fb;
  std::memcpy(nb.data() + 8, &nan, 4);
  ExpectError(DecodeRequest("m", "application/octet-stream", nb, Image2x3()),
              {"FP32 value 2 is not finite"});
}

TEST(V2Decode, PngBodies) {
  std::string png = MakePng(3, 2, 1, 51);
  for (const char* ct : {"image/png", "application/octet-stream"}) {
    auto r = DecodeRequest("m", ct, png, Image2x3());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_FLOAT_EQ(r->dense[0], 1.0f);
    EXPECT_FLOAT_EQ(r->dense[1], 0.2f);
  }
  // RGB → gray conversion by libpng.
  EXPECT_TRUE(DecodeRequest("m", "image/png", MakePng(3, 2, 3, 0), Image2x3()).ok());
  ExpectError(DecodeRequest("m", "image/png", MakePng(4, 2, 1, 0), Image2x3()),
              {"2x4", "expects 2x3"});
  ExpectError(DecodeRequest("m", "image/png", "not a png", Image2x3()), {"not a PNG"});
  std::string truncated = png.substr(0, png.size() / 2);
  ExpectError(DecodeRequest("m", "image/png", truncated, Image2x3()), {"PNG"});
  ModelInput flat;
  flat.shape = {6};
  ExpectError(DecodeRequest("m", "image/png", png, flat), {"does not take images"});
}

// A flat-colour JPEG of h x w written with libjpeg (sl::image::EncodeJpeg).
std::string MakeJpeg(int64_t channels, int64_t h, int64_t w, uint8_t value) {
  sl::image::Pixels8 p{channels, h, w, std::vector<uint8_t>(static_cast<size_t>(channels * h * w), value)};
  Result<std::string> j = sl::image::EncodeJpeg(p, 95);
  EXPECT_TRUE(j.ok());
  return j.ok() ? *j : std::string();
}

TEST(V2Decode, JpegBodiesAreResizedToTheModel) {
  ModelInput rgb;
  rgb.shape = {3, 8, 8};
  // Any size: 40 x 30 gray → the model's 3 x 8 x 8, values kept (flat colour) within JPEG error.
  const std::string jpg = MakeJpeg(1, 30, 40, 102);
  for (const char* ct : {"image/jpeg", "image/jpg", "application/octet-stream", "IMAGE/JPEG; q=1"}) {
    auto r = DecodeRequest("m", ct, jpg, rgb);
    ASSERT_TRUE(r.ok()) << ct << ": " << r.status().ToString();
    EXPECT_EQ(r->batch, 1);
    ASSERT_EQ(r->dense.size(), 3u * 8 * 8);
    for (float v : r->dense) EXPECT_NEAR(v, 0.4f, 2 / 255.0f);
  }
  EXPECT_EQ(ClassifyContentType("image/jpeg"), BodyKind::kJpeg);
  // RGB → gray for a 1-channel model, enlarged from 2 x 3.
  auto g = DecodeRequest("m", "image/jpeg", MakeJpeg(3, 2, 3, 200), Image2x3());
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->dense.size(), 6u);
}

TEST(V2Decode, BadJpegBodiesNameWhatIsWrong) {
  ModelInput rgb;
  rgb.shape = {3, 8, 8};
  const std::string jpg = MakeJpeg(3, 32, 32, 90);
  ExpectError(DecodeRequest("m", "image/jpeg", "GIF89a", rgb), {"image/jpeg body", "not a JPEG", "FF D8 FF"});
  ExpectError(DecodeRequest("m", "image/jpeg", MakePng(3, 2, 1, 0), rgb), {"not a JPEG"});
  ExpectError(DecodeRequest("m", "image/jpeg", jpg.substr(0, jpg.size() - 10), rgb),
              {"JPEG: ", "Premature end of JPEG file", "model 'm'"});
  std::string junk = jpg.substr(0, 3) + std::string(100, 'x');
  ExpectError(DecodeRequest("m", "application/octet-stream", junk, rgb), {"JPEG: "});
  // A header claiming 60000 x 60000 pixels: refused before decoding.
  std::string bomb = jpg;
  const size_t sof = bomb.find("\xFF\xC0");
  ASSERT_NE(sof, std::string::npos);
  bomb[sof + 5] = bomb[sof + 7] = static_cast<char>(0xEA);
  bomb[sof + 6] = bomb[sof + 8] = 0x60;
  ExpectError(DecodeRequest("m", "image/jpeg", bomb, rgb), {"60000 x 60000", "larger than the limit"});
  ModelInput flat;
  flat.shape = {6};
  ExpectError(DecodeRequest("m", "image/jpeg", jpg, flat), {"JPEG body", "does not take images"});
}

TEST(V2Decode, ContentTypes) {
  EXPECT_EQ(ClassifyContentType(""), BodyKind::kJson);
  EXPECT_EQ(ClassifyContentType("Application/JSON; charset=utf-8"), BodyKind::kJson);
  EXPECT_EQ(ClassifyContentType("application/octet-stream"), BodyKind::kBinary);
  EXPECT_EQ(ClassifyContentType("image/png"), BodyKind::kPng);
  EXPECT_EQ(ClassifyContentType("text/plain"), BodyKind::kUnsupported);
  ExpectError(DecodeRequest("m", "text/plain", "x", Image2x3()), {"Content-Type 'text/plain'"});
}

TEST(V2Encode, ResponseRoundTrips) {
  std::vector<float> p0 = {0.25f, 0.75f}, p1 = {0.9f, 0.1f};
  std::vector<OutputRow> rows = {{1, "b\"q", p0}, {0, "a", p1}};
  std::string body = EncodeResponse("m", "1", "id-1", rows, {});
  json j = json::parse(body);
  EXPECT_EQ(j["model_name"], "m");
  EXPECT_EQ(j["model_version"], "1");
  EXPECT_EQ(j["id"], "id-1");
  ASSERT_EQ(j["outputs"].size(), 3u);
  EXPECT_EQ(j["outputs"][0]["shape"], json({2, 2}));
  EXPECT_EQ(j["outputs"][0]["datatype"], "FP32");
  EXPECT_EQ(j["outputs"][1]["data"], json({1, 0}));
  EXPECT_EQ(j["outputs"][2]["data"], json({"b\"q", "a"}));
  auto parsed = ParseResponse(body);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->labels, (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(parsed->probabilities[1], p1);
  json only = json::parse(EncodeResponse("m", "1", "", rows, {"label"}));
  EXPECT_FALSE(only.contains("id"));
  ASSERT_EQ(only["outputs"].size(), 1u);
  EXPECT_EQ(only["outputs"][0]["name"], "label");
  EXPECT_EQ(json::parse(ErrorBody("bad \"x\""))["error"], "bad \"x\"");
  EXPECT_FALSE(ParseResponse(ErrorBody("boom")).ok());
}

// Regressions found by the fuzzer (v2_fuzz.cc, scripts/fuzz-v2.sh).

// EncodeResponse threw nlohmann type_error 316 (std::terminate in a server thread) when the model
// name or version was not valid UTF-8; now such bytes become U+FFFD.
TEST(V2Fuzz, EncodeResponseWithInvalidUtf8ModelNameDoesNotThrow) {
  std::vector<float> p = {1.0f};
  std::vector<OutputRow> rows = {{0, "\xff", p}};
  std::string body;
  EXPECT_NO_THROW(body = EncodeResponse("m\xcf", "v\xff", "id\xc3", rows, {}));
  auto parsed = ParseResponse(body);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->model_name, "m\xef\xbf\xbd");
  EXPECT_EQ(parsed->model_version, "v\xef\xbf\xbd");
  EXPECT_EQ(parsed->id, "id\xef\xbf\xbd");
  EXPECT_EQ(parsed->class_names, std::vector<std::string>{"\xef\xbf\xbd"});
}

// Found while writing the fuzz target, reproduced with it: a label that is a float out of
// int64's range was converted with a C++ cast (undefined behaviour; UBSan: "1e+300 is outside
// the range of representable values of type 'long'").
TEST(V2Fuzz, ParseResponseRejectsNonIntegerLabels) {
  for (const char* label : {"1e300", "2.5", "-1e19"}) {
    auto r = ParseResponse(std::string(R"({"outputs":[{"name":"label","data":[)") + label +
                           "]}]}");
    ASSERT_FALSE(r.ok()) << label;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find("label[0]: expected an integer"), std::string::npos)
        << r.status().message();
  }
  auto ok = ParseResponse(R"({"outputs":[{"name":"label","data":[-3, 9223372036854775807]}]})");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->labels, (std::vector<int64_t>{-3, INT64_MAX}));
}

// The probabilities shape was checked as shape[0] * shape[1] == size: signed overflow (UB) for
// [2^62, 4] with no data, then a loop of 2^62 rows; [2^40, 0] with no data allocated 2^40 empty
// rows (out of memory). Now rows * classes must equal the data size without multiplying, and a
// shape of zero classes only describes zero rows.
TEST(V2Fuzz, ParseResponseProbabilitiesShapeCannotOverflowOrExplode) {
  auto parse = [](const std::string& shape, const std::string& data) {
    return ParseResponse(R"({"outputs":[{"name":"probabilities","shape":)" + shape +
                         R"(,"data":)" + data + "}]}");
  };
  for (const auto& [shape, data] : std::vector<std::pair<std::string, std::string>>{
           {"[4611686018427387904,4]", "[]"},
           {"[1099511627776,0]", "[]"},
           {"[-1,-2]", "[0.5,0.5]"},
           {"[2,-1]", "[]"},
           {"[3,1]", "[0.1,0.2]"},
           {"[1,2,1]", "[0.1,0.2]"},
           {"\"x\"", "[0.1]"}}) {
    auto r = parse(shape, data);
    ASSERT_FALSE(r.ok()) << shape;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find("probabilities: shape"), std::string::npos)
        << r.status().message();
  }
  auto bad_value = parse("[1,1]", "[1e300]");
  ASSERT_FALSE(bad_value.ok());
  EXPECT_NE(bad_value.status().message().find("probabilities[0]"), std::string::npos);
  auto empty = parse("[0,0]", "[]");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->probabilities.empty());
  auto two = parse("[2,3]", "[0.1,0.2,0.7,1,0,0]");
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  ASSERT_EQ(two->probabilities.size(), 2u);
  EXPECT_EQ(two->probabilities[1], (std::vector<float>{1, 0, 0}));
}

// INT64 data above INT64_MAX once were accepted as INT64 values; since the datatype must be the
// model's (FP32), any INT64 tensor is refused before its values are read.
TEST(V2Fuzz, Int64RejectsValuesAboveInt64Max) {
  ExpectError(Json(Req({1, 6}, "INT64", {9223372036854775808ULL, 0, 0, 0, 0, 0})),
              {"data-type is 'INT64'"});
  ExpectError(Json(Req({1, 6}, "UINT64", {UINT64_MAX, 0, 0, 0, 0, 0})), {"data-type is 'UINT64'"});
}

// A PNG's size is checked against the model from its header, before the pixel buffer is
// allocated and the image decoded: a small body claiming a large image is rejected for its size
// (it used to allocate height * width * channels bytes first, then fail to decode).
TEST(V2Fuzz, PngSizeIsCheckedBeforeDecoding) {
  std::string wide = MakePng(4000, 1, 3, 0);
  std::string truncated = wide.substr(0, wide.size() - 20);  // IDAT cut short
  ExpectError(DecodeRequest("m", "image/png", truncated, Image2x3()),
              {"1x4000 (HxW)", "the model expects 2x3", "model 'm'"});
  auto direct = DecodePng(truncated, 3, 2, 3);
  ASSERT_FALSE(direct.ok());
  EXPECT_NE(direct.status().message().find("expects 2x3"), std::string::npos);
  // Without an expected size the same body gets as far as decoding.
  auto any = DecodePng(truncated, 3);
  ASSERT_FALSE(any.ok());
  EXPECT_NE(any.status().message().find("cannot decode"), std::string::npos)
      << any.status().message();
  auto good = DecodePng(MakePng(3, 2, 1, 51), 1, 2, 3);
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ(good->pixels.size(), 6u);
}

// The binary tensor data extension: JSON header + raw tensor, as tritonclient sends it.
std::pair<std::string, int64_t> BinaryRequest(json shape, std::string dt, std::string tensor,
                                              int64_t claimed_size = -1) {
  json input = {{"name", "input__0"}, {"shape", shape}, {"datatype", dt},
                {"parameters", {{"binary_data_size", claimed_size >= 0 ? claimed_size
                                                                       : static_cast<int64_t>(tensor.size())}}}};
  std::string header = json{{"id", "b1"}, {"inputs", {input}}}.dump();
  const auto n = static_cast<int64_t>(header.size());
  return {header + tensor, n};
}

template <typename T>
std::string Raw(std::vector<T> values) {
  std::string out(values.size() * sizeof(T), '\0');
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

TEST(V2Codec, BinaryTensorDataExtensionDecodesFp32) {
  auto [body, h] = BinaryRequest({2, 1, 2, 3}, "FP32", Raw<float>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  auto r = DecodeRequest("m", "application/octet-stream", body, Image2x3(), h);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->batch, 2);
  EXPECT_EQ(r->id, "b1");
  EXPECT_EQ(r->json_header_bytes, h);
  ASSERT_EQ(r->dense.size(), 12u);
  EXPECT_FLOAT_EQ(r->dense[11], 11.0f);

  auto [same, hs] = BinaryRequest({1, 6}, "FP32", Raw<float>({0, 1, 2, 3, 4, 0.5f}));
  auto u = DecodeRequest("m", "application/json", same, Image2x3(), hs);  // any content type
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_FLOAT_EQ(u->dense[5], 0.5f);
}

TEST(V2Codec, BinaryOutputsAreAskedForPerRequestOrPerOutput) {
  json all = Req({1, 6}, "FP32", {1, 2, 3, 4, 5, 6});
  all["parameters"] = {{"binary_data_output", true}};
  auto a = Json(all);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->binary_outputs, (std::vector<std::string>{"probabilities", "label", "class_name"}));

  json some = Req({1, 6}, "FP32", {1, 2, 3, 4, 5, 6});
  some["outputs"] = {{{"name", "label"}, {"parameters", {{"binary_data", true}}}}, {{"name", "probabilities"}}};
  auto s1 = Json(some);
  ASSERT_TRUE(s1.ok()) << s1.status().ToString();
  EXPECT_EQ(s1->binary_outputs, std::vector<std::string>{"label"});

  // An output's own binary_data wins over the request's binary_data_output.
  some["parameters"] = {{"binary_data_output", true}};
  some["outputs"][0]["parameters"]["binary_data"] = false;
  auto s2 = Json(some);
  ASSERT_TRUE(s2.ok()) << s2.status().ToString();
  EXPECT_EQ(s2->binary_outputs, std::vector<std::string>{"probabilities"});

  EXPECT_TRUE(Json(Req({1, 6}, "FP32", {1, 2, 3, 4, 5, 6}))->binary_outputs.empty());
  some["outputs"][0]["parameters"]["binary_data"] = "yes";
  ExpectError(Json(some), {"outputs[0].parameters.binary_data: expected true or false", "\"yes\""});
  all["parameters"]["binary_data_output"] = 1;
  ExpectError(Json(all), {"parameters.binary_data_output: expected true or false"});
}

TEST(V2Codec, BinaryResponseIsTheJsonHeaderThenLittleEndianTensors) {
  std::vector<float> p0 = {0.25f, 0.75f, 0.0f}, p1 = {0.125f, 0.5f, 0.375f};
  std::vector<OutputRow> rows = {{1, "shirt", p0}, {2, "", p1}};
  const std::string plain = EncodeResponse("m", "1", "id-1", rows, {});
  auto bin = ToBinaryResponse(plain, "application/json", {"probabilities", "label", "class_name"});
  ASSERT_TRUE(bin.ok()) << bin.status().ToString();
  const std::string& body = bin->body;
  ASSERT_GT(bin->json_header_bytes, 0);
  json header = json::parse(body.substr(0, static_cast<size_t>(bin->json_header_bytes)));
  EXPECT_EQ(header["id"], "id-1");
  ASSERT_EQ(header["outputs"].size(), 3u);
  std::vector<size_t> sizes;
  for (const json& o : header["outputs"]) {
    EXPECT_FALSE(o.contains("data")) << o.dump();
    sizes.push_back(o["parameters"]["binary_data_size"].get<size_t>());
  }
  EXPECT_EQ(header["outputs"][0]["shape"], json({2, 3}));
  EXPECT_EQ(sizes, (std::vector<size_t>{24, 16, 4 + 5 + 4 + 0}));
  std::string_view tail(body);
  tail.remove_prefix(static_cast<size_t>(bin->json_header_bytes));
  ASSERT_EQ(tail.size(), 24u + 16u + 13u);
  EXPECT_EQ(tail.substr(0, 24), Raw<float>({0.25f, 0.75f, 0.0f, 0.125f, 0.5f, 0.375f}));
  EXPECT_EQ(tail.substr(24, 16), Raw<int64_t>({1, 2}));
  EXPECT_EQ(tail.substr(40), Raw<uint32_t>({5}) + "shirt" + Raw<uint32_t>({0}));
  // Little-endian on the wire (the conversion copies host bytes: this checks the host).
  EXPECT_EQ(static_cast<unsigned char>(tail[24]), 1u);

  // Only some outputs binary: the others keep their JSON data.
  auto some = ToBinaryResponse(plain, "application/json", {"label"});
  ASSERT_TRUE(some.ok());
  json h2 = json::parse(some->body.substr(0, static_cast<size_t>(some->json_header_bytes)));
  EXPECT_TRUE(h2["outputs"][0].contains("data"));
  EXPECT_EQ(h2["outputs"][1]["parameters"]["binary_data_size"], 16);
  EXPECT_EQ(some->body.size() - static_cast<size_t>(some->json_header_bytes), 16u);

  // A body a replica already converted passes through, its JSON part measured.
  auto again = ToBinaryResponse(body, "application/octet-stream", {"label"});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->json_header_bytes, bin->json_header_bytes);
  EXPECT_EQ(again->body, body);
  EXPECT_EQ(ToBinaryResponse("not json", "application/json", {"label"}).status().code(), Code::kInternal);
}

TEST(V2Codec, BinaryTensorDataOfTextModelsIsLengthPrefixed) {
  std::string tensor = Raw<uint32_t>({5}) + "hello" + Raw<uint32_t>({0});
  auto [body, h] = BinaryRequest({2}, "BYTES", tensor);
  auto r = DecodeRequest("m", "application/octet-stream", body, Text(), h);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->texts.size(), 2u);
  EXPECT_EQ(r->texts[0], "hello");
  EXPECT_EQ(r->texts[1], "");
  auto [cut, hc] = BinaryRequest({2}, "BYTES", Raw<uint32_t>({9}) + "hel" + Raw<uint32_t>({0}));
  ExpectError(DecodeRequest("m", "application/octet-stream", cut, Text(), hc), {"BYTES element 0", "runs past the end"});
}

TEST(V2Codec, BinaryTensorDataErrorsNameWhatIsWrong) {
  const std::string six = Raw<float>({1, 2, 3, 4, 5, 6});
  // The header length runs past the body.
  auto [body, h] = BinaryRequest({1, 6}, "FP32", six);
  ExpectError(DecodeRequest("m", "application/octet-stream", body, Image2x3(), static_cast<int64_t>(body.size()) + 1),
              {"Inference-Header-Content-Length", "longer than"});
  // binary_data_size disagrees with the bytes after the header, or with the shape.
  auto [claims_more, h2] = BinaryRequest({1, 6}, "FP32", six, 28);
  ExpectError(DecodeRequest("m", "application/octet-stream", claims_more, Image2x3(), h2),
              {"binary_data_size: 28 bytes, but 24 bytes follow"});
  auto [wrong_shape, h3] = BinaryRequest({2, 6}, "FP32", six);
  ExpectError(DecodeRequest("m", "application/octet-stream", wrong_shape, Image2x3(), h3),
              {"binary_data_size", "needs 48 bytes, got 24"});
  // A non-finite FP32 value.
  auto [nan, h4] = BinaryRequest({1, 6}, "FP32", Raw<float>({1, 2, std::numeric_limits<float>::quiet_NaN(), 4, 5, 6}));
  ExpectError(DecodeRequest("m", "application/octet-stream", nan, Image2x3(), h4), {"FP32 value 2 is not finite"});
  // binary_data_size without the header; bytes after the header that no input claims.
  json j = Req({1, 6}, "FP32", {1, 2, 3, 4, 5, 6});
  json with_param = j;
  with_param["inputs"][0].erase("data");
  with_param["inputs"][0]["parameters"] = {{"binary_data_size", 24}};
  ExpectError(Json(with_param), {"without an Inference-Header-Content-Length"});
  const std::string header = j.dump();
  ExpectError(DecodeRequest("m", "application/octet-stream", header + six, Image2x3(),
                            static_cast<int64_t>(header.size())),
              {"24 bytes follow", "no input has parameters.binary_data_size"});
  // ... but a plain JSON body with the header (and nothing after it) decodes.
  auto plain = DecodeRequest("m", "application/json", header, Image2x3(), static_cast<int64_t>(header.size()));
  EXPECT_TRUE(plain.ok()) << plain.status().ToString();
  // A bad binary_data_size value; the header value itself.
  with_param["inputs"][0]["parameters"] = {{"binary_data_size", -4}};
  const std::string bad = with_param.dump();
  ExpectError(DecodeRequest("m", "application/octet-stream", bad + six, Image2x3(), static_cast<int64_t>(bad.size())),
              {"binary_data_size: expected a byte count"});
  EXPECT_EQ(ParseInferenceHeaderLength("12").value(), 12);
  for (std::string_view v : {"", "-1", "12x", " 12", "99999999999999999999999"}) {
    auto n = ParseInferenceHeaderLength(v);
    EXPECT_FALSE(n.ok()) << v;
    if (!n.ok()) {
      EXPECT_NE(n.status().message().find("Inference-Header-Content-Length"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace sl::serve::v2
