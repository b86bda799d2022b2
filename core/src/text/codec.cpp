#include "haloplan/text/codec.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace haloplan {

namespace {

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += char((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += char(v);
}

bool get_varint(std::string_view in, size_t& pos, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 35; shift += 7) {  // at most 5 bytes: values below 2^35
    if (pos >= in.size()) return false;
    const auto b = uint8_t(in[pos++]);
    v |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

constexpr size_t kMinMatch = 4;
constexpr size_t kMaxMatch = 1 << 16;
constexpr size_t kWindow = 1 << 16;
constexpr int kHashBits = 14;
constexpr int kChain = 32;

uint32_t hash4(const char* p) {
  uint32_t v = uint32_t(uint8_t(p[0])) | uint32_t(uint8_t(p[1])) << 8 | uint32_t(uint8_t(p[2])) << 16 |
               uint32_t(uint8_t(p[3])) << 24;
  return (v * 2654435761u) >> (32 - kHashBits);
}

}  // namespace

std::string lz_compress(std::string_view in) { return *lz_compress(in, std::string::npos); }

std::optional<std::string> lz_compress(std::string_view in, size_t max_out) {
  std::string out;
  // Hash chains: head[h] is the latest position with hash h, prev[pos % kWindow] the one before
  // pos. A ring of one window suffices: a slot is overwritten only by a position a whole window
  // later, and candidates older than a window are never followed.
  std::vector<int64_t> head(size_t(1) << kHashBits, -1), prev(std::min(in.size(), kWindow), -1);
  size_t lit_start = 0, i = 0;
  auto insert = [&](size_t pos) {
    if (pos + kMinMatch > in.size()) return;
    const uint32_t h = hash4(in.data() + pos);
    prev[pos % kWindow] = head[h];
    head[h] = int64_t(pos);
  };
  while (i + kMinMatch <= in.size()) {
    size_t best_len = 0, best_dist = 0;
    int64_t cand = head[hash4(in.data() + i)];
    for (int n = 0; cand >= 0 && n < kChain && i - size_t(cand) <= kWindow; ++n, cand = prev[size_t(cand) % kWindow]) {
      size_t len = 0;
      const size_t limit = std::min(kMaxMatch, in.size() - i);
      while (len < limit && in[size_t(cand) + len] == in[i + len]) ++len;
      if (len > best_len) {
        best_len = len;
        best_dist = i - size_t(cand);
      }
    }
    if (best_len >= kMinMatch) {
      put_varint(out, i - lit_start);
      out.append(in.substr(lit_start, i - lit_start));
      put_varint(out, best_len - kMinMatch + 1);
      put_varint(out, best_dist);
      for (size_t k = 0; k < best_len; ++k) insert(i + k);
      i += best_len;
      lit_start = i;
      if (out.size() > max_out) return std::nullopt;
    } else {
      insert(i);
      ++i;
    }
  }
  put_varint(out, in.size() - lit_start);
  out.append(in.substr(lit_start));
  put_varint(out, 0);
  if (out.size() > max_out) return std::nullopt;
  return out;
}

std::optional<std::string> lz_decompress(std::string_view in, size_t max_out) {
  std::string out;
  size_t pos = 0;
  for (;;) {
    uint64_t lits = 0, len = 0, dist = 0;
    if (!get_varint(in, pos, lits) || lits > in.size() - pos || out.size() + lits > max_out) return std::nullopt;
    out.append(in.substr(pos, size_t(lits)));
    pos += size_t(lits);
    if (!get_varint(in, pos, len)) return std::nullopt;
    if (len == 0) break;
    len += kMinMatch - 1;
    if (!get_varint(in, pos, dist) || dist == 0 || dist > out.size() || len > max_out - out.size()) return std::nullopt;
    const size_t from = out.size() - size_t(dist);
    for (size_t k = 0; k < len; ++k) out += out[from + k];  // overlapping copies repeat the tail
  }
  if (pos != in.size()) return std::nullopt;  // trailing bytes: not a stream this encoder wrote
  return out;
}

namespace {
const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}
}  // namespace

std::string base64url_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    acc = (acc << 8) | uint8_t(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kB64[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kB64[(acc << (6 - bits)) & 63];
  return out;
}

std::optional<std::string> base64url_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = b64_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xff);
    }
  }
  if (bits >= 6) return std::nullopt;  // a lone trailing character carries no whole byte
  return out;
}

std::string percent_encode(std::string_view in) {
  static const std::string_view safe = "-._~:,/!*'()@$;";
  std::string out;
  for (char c : in) {
    const auto u = uint8_t(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') ||
        safe.find(c) != std::string_view::npos) {
      out += c;
    } else {
      static const char hex[] = "0123456789ABCDEF";
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view in) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return std::nullopt;
    const int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += char(hi * 16 + lo);
    i += 2;
  }
  return out;
}

}  // namespace haloplan
