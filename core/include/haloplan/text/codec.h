// Layer: text. Byte codecs for shareable links: a small LZ77 compressor, base64url and percent-encoding.
// Every decoder treats its input as hostile: bounded output, checked distances, no exceptions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace haloplan {

// LZ77 over bytes. Stream: repeat { varint literals; literal bytes; varint length-2 (0 = end);
// varint distance }. Good on JSON (repeated keys), tiny to decode.
std::string lz_compress(std::string_view in);
// The same stream, or nullopt as soon as it would be longer than max_out bytes (a link that cannot
// fit is not compressed to the end).
std::optional<std::string> lz_compress(std::string_view in, size_t max_out);
// nullopt if the stream is malformed or would expand beyond max_out bytes.
std::optional<std::string> lz_decompress(std::string_view in, size_t max_out);

std::string base64url_encode(std::string_view in);
std::optional<std::string> base64url_decode(std::string_view in);

// Percent-encodes everything but unreserved characters and a few that are safe and readable in
// a URL fragment value ("-._~:,/!*'()@$;").
std::string percent_encode(std::string_view in);
// nullopt on a malformed escape (a '%' not followed by two hex digits).
std::optional<std::string> percent_decode(std::string_view in);

}  // namespace haloplan
