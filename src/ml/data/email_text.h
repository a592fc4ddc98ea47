// EmailBodyWithSubject: the part of an RFC 822 message worth classifying.
//
// Choice (documented here because it shapes accuracy and what predict must do): the header
// block (up to the first empty line) is dropped except the Subject, which is kept — folded
// continuation lines included — as the first line of the result, followed by the body.
// Why: Received/Message-ID/Date headers identify the collection (mailing lists, relays, years)
// rather than spamminess, so a model trained on them would learn the corpus, not spam; the
// subject, by contrast, is the strongest single spam signal. The body is kept as-is (MIME parts,
// HTML and base64 included): decoding MIME is out of scope, and HTML tag names are useful spam
// features.
// A text that does not start with a header line ("From " mbox line or "Name: value") is
// returned unchanged, so plain text passed to an e-mail featurizer is not emptied.
// Thread safety: stateless.
#pragma once

#include <string>
#include <string_view>

namespace sl::ml::data {

std::string EmailBodyWithSubject(std::string_view message);

}  // namespace sl::ml::data
