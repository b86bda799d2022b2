#include "haloplan/view.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "haloplan/codec.h"
#include "haloplan/json_out.h"
#include "haloplan/report.h"
#include "decimal.h"
#include "json_reader.h"

namespace haloplan {

using nlohmann::json;

namespace {

std::string num_text(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::optional<double> parse_double(const std::string& v, double lo, double hi) {
  double d = 0;
  if (v.size() > 32 || !detail::parse_decimal(v, d) || d < lo || d > hi) return std::nullopt;
  return d;
}

std::optional<int64_t> parse_int(const std::string& v, int64_t lo, int64_t hi) {
  if (v.empty() || v.size() > 20) return std::nullopt;
  for (char c : v)
    if (c < '0' || c > '9') return std::nullopt;
  errno = 0;
  const long long n = std::strtoll(v.c_str(), nullptr, 10);
  if (errno != 0 || n < lo || n > hi) return std::nullopt;
  return int64_t(n);
}

std::optional<bool> parse_bool(const std::string& v) {
  if (v == "1" || v == "true" || v == "on") return true;
  if (v == "0" || v == "false" || v == "off") return false;
  return std::nullopt;
}

std::vector<std::string> split(const std::string& v, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= v.size()) {
    size_t at = v.find(sep, start);
    if (at == std::string::npos) at = v.size();
    if (at > start) out.push_back(v.substr(start, at - start));
    start = at + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : ",") + x;
  return out;
}

bool plain_id(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
          c == '.'))
      return false;
  return true;
}

// One field of the state: how it reads from and writes to its text form (the link value).
// Returns an error message, or "" when the value was taken.
struct Field {
  const char* key;
  std::function<std::string(ViewState&, const std::string&)> read;
  std::function<std::optional<std::string>(const ViewState&)> write;  // nullopt: omit from links
};

std::string gib_field(std::optional<double>& f, const std::string& v, const char* what) {
  if (v == "default" || v.empty()) {
    f.reset();
    return "";
  }
  auto d = parse_double(v, 0, 65536);
  if (!d) return std::string(what) + " must be a number of GiB (0 to 65536) or 'default', got '" + v + "'";
  f = *d;
  return "";
}

std::optional<std::string> gib_text(const std::optional<double>& f) { return f ? num_text(*f) : "default"; }

std::string id_field(std::string& f, const std::string& v, const char* what) {
  if (!v.empty() && !plain_id(v)) return std::string(what) + " '" + v.substr(0, 64) + "' is not a valid id";
  f = v;
  return "";
}

// Fields of the common kinds: a yes/no switch and a whole number in a range.
Field bool_field(const char* key, bool ViewState::*member, bool omit_when_false = false) {
  return {key,
          [key, member](ViewState& s, const std::string& v) -> std::string {
            auto b = parse_bool(v);
            if (!b) return std::string(key) + " must be 1 or 0, got '" + v.substr(0, 32) + "'";
            s.*member = *b;
            return "";
          },
          [member, omit_when_false](const ViewState& s) -> std::optional<std::string> {
            if (omit_when_false && !(s.*member)) return std::nullopt;
            return s.*member ? "1" : "0";
          }};
}

template <class Int>
Field int_field(const char* key, Int ViewState::*member, int64_t lo, int64_t hi, const char* what) {
  return {key,
          [member, lo, hi, what](ViewState& s, const std::string& v) -> std::string {
            auto n = parse_int(v, lo, hi);
            if (!n)
              return std::string(what) + " must be a whole number" + (lo == 1 && hi > 256 ? " of tokens" : "") +
                     " from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got '" + v.substr(0, 32) + "'";
            s.*member = Int(*n);
            return "";
          },
          [member](const ViewState& s) -> std::optional<std::string> { return std::to_string(s.*member); }};
}

const std::vector<Field>& fields() {
  static const std::vector<Field> f = {
      {"machine", [](ViewState& s, const std::string& v) { return id_field(s.machine, v, "machine"); },
       [](const ViewState& s) -> std::optional<std::string> { return s.machine; }},
      {"carve", [](ViewState& s, const std::string& v) { return gib_field(s.carve_out_gib, v, "carve-out"); },
       [](const ViewState& s) { return gib_text(s.carve_out_gib); }},
      {"gtt", [](ViewState& s, const std::string& v) { return gib_field(s.gtt_gib, v, "GTT limit"); },
       [](const ViewState& s) { return gib_text(s.gtt_gib); }},
      {"reserve", [](ViewState& s, const std::string& v) { return gib_field(s.os_reserve_gib, v, "OS reserve"); },
       [](const ViewState& s) { return gib_text(s.os_reserve_gib); }},
      bool_field("rocmgtt", &ViewState::rocm_gtt),
      {"backend", [](ViewState& s, const std::string& v) { return id_field(s.backend, v, "backend"); },
       [](const ViewState& s) -> std::optional<std::string> { return s.backend; }},
      int_field("ctx", &ViewState::ctx, 1, int64_t(1) << 26, "context"),
      {"ktype",
       [](ViewState& s, const std::string& v) -> std::string {
         if (!kv_cache_type(v)) return "K cache type '" + v.substr(0, 32) + "' is not a KV cache type";
         s.type_k = v;
         return "";
       },
       [](const ViewState& s) -> std::optional<std::string> { return s.type_k; }},
      {"vtype",
       [](ViewState& s, const std::string& v) -> std::string {
         if (!kv_cache_type(v)) return "V cache type '" + v.substr(0, 32) + "' is not a KV cache type";
         s.type_v = v;
         return "";
       },
       [](const ViewState& s) -> std::optional<std::string> { return s.type_v; }},
      int_field("slots", &ViewState::slots, 1, 256, "slots"),
      bool_field("unified", &ViewState::kv_unified),
      bool_field("fa", &ViewState::flash_attn),
      int_field("prompt", &ViewState::prompt, 1, int64_t(1) << 26, "prompt"),
      {"quants",
       [](ViewState& s, const std::string& v) -> std::string {
         std::vector<std::string> q;
         for (const auto& x : split(v, ',')) {
           auto f = ftype_from_name(x);
           if (!f) return "quants: '" + x.substr(0, 32) + "' is not a quantisation preset";
           if (std::find(q.begin(), q.end(), preset(*f).name) == q.end()) q.push_back(preset(*f).name);
         }
         if (q.empty() || q.size() > 32) return "quants must list 1 to 32 presets";
         s.quants = q;
         return "";
       },
       [](const ViewState& s) -> std::optional<std::string> { return join(s.quants); }},
      {"model", [](ViewState& s, const std::string& v) { return id_field(s.model, v, "model"); },
       [](const ViewState& s) -> std::optional<std::string> {
         return s.model.empty() ? std::nullopt : std::optional<std::string>(s.model);
       }},
      {"quant",
       [](ViewState& s, const std::string& v) -> std::string {
         auto f = ftype_from_name(v);
         if (!f) return "quant '" + v.substr(0, 32) + "' is not a quantisation preset";
         s.quant = preset(*f).name;
         return "";
       },
       [](const ViewState& s) -> std::optional<std::string> { return s.quant; }},
      {"filter",
       [](ViewState& s, const std::string& v) -> std::string {
         if (v.size() > 200) return "filter is longer than 200 characters";
         s.filter = v;
         return "";
       },
       [](const ViewState& s) -> std::optional<std::string> {
         return s.filter.empty() ? std::nullopt : std::optional<std::string>(s.filter);
       }},
      {"sort",
       [](ViewState& s, const std::string& v) -> std::string {
         if (v.size() > 64) return "sort is longer than 64 characters";
         s.sort = v;
         return "";
       },
       [](const ViewState& s) -> std::optional<std::string> {
         return s.sort.empty() ? std::nullopt : std::optional<std::string>(s.sort);
       }},
      bool_field("desc", &ViewState::desc, true),
      {"at", [](ViewState& s, const std::string& v) { return id_field(s.section, v, "section"); },
       [](const ViewState& s) -> std::optional<std::string> {
         return s.section.empty() ? std::nullopt : std::optional<std::string>(s.section);
       }},
      {"cal", [](ViewState& s, const std::string& v) { return parse_calibrations(v, s.cal); },
       [](const ViewState& s) -> std::optional<std::string> {
         return s.cal.empty() ? std::nullopt : std::optional<std::string>(calibrations_text(s.cal));
       }},
      {"removed",
       [](ViewState& s, const std::string& v) -> std::string {
         std::vector<std::string> ids = split(v, ',');
         if (ids.size() > 100000) return "removed lists too many models";
         for (const auto& id : ids)
           if (!plain_id(id)) return "removed: '" + id.substr(0, 64) + "' is not a valid model id";
         s.removed = ids;
         return "";
       },
       [](const ViewState& s) -> std::optional<std::string> {
         return s.removed.empty() ? std::nullopt : std::optional<std::string>(join(s.removed));
       }},
  };
  return f;
}

const Field* find_field(std::string_view key) {
  for (const auto& f : fields())
    if (key == f.key) return &f;
  return nullptr;
}

// Custom models in a link: "j:" + percent-encoded JSON or "z:" + base64url of the LZ stream,
// whichever is shorter; nullopt if neither fits in max_bytes.
std::optional<std::string> encode_custom(const json& custom, size_t max_bytes) {
  const std::string text = custom.dump();
  std::optional<std::string> best;
  if (text.size() + 2 <= max_bytes) best = "j:" + percent_encode(text);  // never shorter than the text
  if (auto lz = lz_compress(text, max_bytes / 4 * 3)) {  // base64 writes 4 characters per 3 bytes
    std::string packed = "z:" + base64url_encode(*lz);
    if (!best || packed.size() < best->size()) best = std::move(packed);
  }
  if (best && best->size() > max_bytes) best.reset();
  return best;
}

std::string decode_custom(const std::string& v, json& out) {
  std::optional<std::string> text;
  if (v.rfind("z:", 0) == 0) {
    auto bytes = base64url_decode(std::string_view(v).substr(2));
    if (!bytes) return "custom models: the compressed data is not valid base64url (the link may be truncated)";
    text = lz_decompress(*bytes, kMaxCustomBytes);
    if (!text) return "custom models: the compressed data is damaged or truncated";
  } else if (v.rfind("j:", 0) == 0) {
    text = v.substr(2);
  } else {
    return "custom models must start with 'j:' or 'z:'";
  }
  std::vector<Diagnostic> d;
  auto j = detail::parse_json(*text, d, "the custom-model list");
  if (!j) {
    if (d.empty()) return "custom models are not valid JSON";
    return d.front().path.empty() ? d.front().message : "custom" + d.front().path + ": " + d.front().message;
  }
  if (!j->is_array()) return "custom models must be a JSON array of models";
  out = std::move(*j);
  return "";
}

}  // namespace

std::string calibrations_text(const std::vector<Calibration>& cals) {
  std::vector<std::string> parts;
  for (const auto& c : cals)
    parts.push_back(c.backend + ":" + num_text(c.decode_scale) + ":" + num_text(c.prefill_scale) + ":" +
                    std::to_string(c.decode_rows) + ":" + std::to_string(c.prefill_rows));
  return join(parts);
}

std::string parse_calibrations(const std::string& text, std::vector<Calibration>& out) {
  std::vector<Calibration> cals;
  if (text == "default" || text.empty()) {
    out.clear();
    return "";
  }
  for (const auto& part : split(text, ',')) {
    const auto f = split(part, ':');
    if (f.size() != 5) return "calibration '" + part.substr(0, 64) + "' is not backend:decode:prefill:rows:rows";
    Calibration c;
    if (!plain_id(f[0])) return "calibration backend '" + f[0].substr(0, 64) + "' is not a valid id";
    c.backend = f[0];
    const auto d = parse_double(f[1], 0.05, 20), p = parse_double(f[2], 0.05, 20);
    const auto nd = parse_int(f[3], 0, 100000), np = parse_int(f[4], 0, 100000);
    if (!d || !p) return "calibration scales must be numbers from 0.05 to 20, got '" + part.substr(0, 64) + "'";
    if (!nd || !np) return "calibration row counts must be whole numbers from 0 to 100000, got '" + part.substr(0, 64) + "'";
    c.decode_scale = *d, c.prefill_scale = *p, c.decode_rows = int(*nd), c.prefill_rows = int(*np);
    if (std::any_of(cals.begin(), cals.end(), [&](const Calibration& x) { return x.backend == c.backend; }))
      return "calibration for '" + c.backend + "' is given twice";
    cals.push_back(c);
  }
  if (cals.size() > 16) return "more than 16 calibrations";
  out = std::move(cals);
  return "";
}


std::optional<GgmlType> kv_cache_type(std::string_view name) {
  static const char* ok[] = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL"};
  auto t = type_from_name(name);
  if (!t) return std::nullopt;
  for (const char* n : ok)
    if (std::string_view(type_name(*t)) == n) return t;
  return std::nullopt;
}

std::string encode_link(const ViewState& s) { return *encode_link(s, std::string::npos); }

std::optional<std::string> encode_link(const ViewState& s, size_t max_bytes) {
  std::string out = "v=" + std::to_string(kLinkVersion);
  for (const auto& f : fields()) {
    auto v = f.write(s);
    if (v) out += std::string("&") + f.key + "=" + percent_encode(*v);
  }
  if (!s.custom.empty()) {
    out += "&custom=";
    const size_t left = max_bytes == std::string::npos ? max_bytes : max_bytes - std::min(max_bytes, out.size());
    auto custom = encode_custom(s.custom, left);
    if (!custom) return std::nullopt;
    out += *custom;
  }
  if (out.size() > max_bytes) return std::nullopt;
  return out;
}

ViewState decode_link(std::string_view fragment, std::vector<Notice>& notices) {
  ViewState s;
  if (!fragment.empty() && fragment.front() == '#') fragment.remove_prefix(1);
  if (fragment.empty()) return s;
  if (fragment.size() > kMaxLinkBytes) {
    notices.push_back({"link", "the link is longer than " + std::to_string(kMaxLinkBytes / 1024) +
                                   " KiB and was ignored; the defaults are shown"});
    return s;
  }
  if (fragment.find('=') == std::string_view::npos && plain_id(std::string(fragment))) {
    s.section = std::string(fragment);  // "#guide-gtt": a deep link, not a scenario
    return s;
  }
  bool versioned = false;
  for (const auto& part : split(std::string(fragment), '&')) {
    const size_t eq = part.find('=');
    const std::string raw_key = part.substr(0, std::min(eq, size_t(96)));
    const std::string key = percent_decode(raw_key).value_or(raw_key).substr(0, 40);
    auto value = percent_decode(eq == std::string::npos ? "" : part.substr(eq + 1));
    if (!value) {
      notices.push_back({key, "the value of '" + key + "' has a broken %-escape; the default is used"});
      continue;
    }
    if (key == "v") {
      versioned = true;
      auto v = parse_int(*value, 1, 1000000);
      if (!v) {
        notices.push_back({"v", "the link's version '" + value->substr(0, 16) + "' is not a number"});
      } else if (*v > kLinkVersion) {
        notices.push_back({"v", "this link was made by a newer haloplan (link version " + std::to_string(*v) +
                                    "); the parts this version understands are shown"});
      }
      continue;
    }
    if (key == "custom") {
      json c;
      const std::string err = decode_custom(*value, c);
      if (!err.empty()) notices.push_back({"custom", err + "; they were left out"});
      else s.custom = std::move(c);
      continue;
    }
    const Field* f = find_field(key);
    if (!f) {
      notices.push_back({key, "unknown link part '" + key + "' was ignored"});
      continue;
    }
    const std::string err = f->read(s, *value);
    if (!err.empty()) notices.push_back({key, err + "; the default is used"});
  }
  if (!versioned) notices.push_back({"v", "the link has no version (v=); it was read as version 1"});
  return s;
}

json state_to_json(const ViewState& s) {
  json j;
  j["v"] = kLinkVersion;
  j["machine"] = s.machine;
  j["carve"] = s.carve_out_gib ? json(*s.carve_out_gib) : json(nullptr);
  j["gtt"] = s.gtt_gib ? json(*s.gtt_gib) : json(nullptr);
  j["reserve"] = s.os_reserve_gib ? json(*s.os_reserve_gib) : json(nullptr);
  j["rocmgtt"] = s.rocm_gtt;
  j["backend"] = s.backend;
  j["ctx"] = s.ctx;
  j["ktype"] = s.type_k;
  j["vtype"] = s.type_v;
  j["slots"] = s.slots;
  j["unified"] = s.kv_unified;
  j["fa"] = s.flash_attn;
  j["prompt"] = s.prompt;
  j["quants"] = s.quants;
  j["model"] = s.model;
  j["quant"] = s.quant;
  j["filter"] = s.filter;
  j["sort"] = s.sort;
  j["desc"] = s.desc;
  j["at"] = s.section;
  j["custom"] = s.custom;
  j["removed"] = s.removed;
  j["cal"] = s.cal.empty() ? json(nullptr) : json(calibrations_text(s.cal));
  return j;
}

ViewState state_from_json(std::string_view text, std::vector<Notice>& notices) {
  ViewState s;
  std::vector<Diagnostic> d;
  auto j = detail::parse_json(text, d, "the scenario");
  if (!j || !j->is_object()) {
    notices.push_back({"state", d.empty() ? "the scenario is not a JSON object; the defaults are used"
                                          : d.front().message + "; the defaults are used"});
    return s;
  }
  for (auto it = j->begin(); it != j->end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    if (key == "v") {
      if (!v.is_number_integer() || v.get<int64_t>() < 1)
        notices.push_back({"v", "the scenario's version is not a positive whole number"});
      else if (v.get<int64_t>() > kLinkVersion)
        notices.push_back({"v", "this scenario was made by a newer haloplan (version " + v.dump() +
                                    "); the parts this version understands are used"});
      continue;
    }
    if (key == "custom") {
      if (!v.is_array()) notices.push_back({"custom", "custom must be an array of models; it was left out"});
      else s.custom = v;
      continue;
    }
    const Field* f = find_field(key);
    if (!f) {
      notices.push_back({key.substr(0, 32), "unknown scenario field '" + key.substr(0, 32) + "' was ignored"});
      continue;
    }
    std::string text_value;
    if (v.is_null()) text_value = "default";
    else if (v.is_boolean()) text_value = v.get<bool>() ? "1" : "0";
    else if (v.is_number_integer()) text_value = std::to_string(v.get<int64_t>());
    else if (v.is_number()) text_value = num_text(v.get<double>());
    else if (v.is_string()) text_value = v.get<std::string>();
    else if (v.is_array()) {
      std::vector<std::string> parts;
      for (const auto& x : v) {
        if (!x.is_string()) {
          text_value = "\x01";  // rejected by every list parser below
          break;
        }
        parts.push_back(x.get<std::string>());
      }
      if (text_value.empty()) text_value = join(parts);
      if (parts.empty() && key == "removed") {
        s.removed.clear();
        continue;
      }
    } else {
      notices.push_back({key, key + " has the wrong type (" + detail::type_word(v) + "); the default is used"});
      continue;
    }
    const std::string err = f->read(s, text_value);
    if (!err.empty()) notices.push_back({key, err + "; the default is used"});
  }
  return s;
}

Catalog apply_custom(const Catalog& shipped, const ViewState& s, std::vector<Notice>& notices) {
  share_weight_memos(shipped);
  Catalog c = shipped;
  if (!s.removed.empty()) {
    std::erase_if(c.models, [&](const CatalogModel& m) {
      return std::find(s.removed.begin(), s.removed.end(), m.id) != s.removed.end();
    });
  }
  apply_calibrations(c, s.cal);
  if (s.custom.empty()) return c;
  // Each model on its own, so one broken entry does not take the others with it.
  ModelIndex index;
  for (size_t i = 0; i < s.custom.size(); ++i) {
    const auto d = merge_model(s.custom[i], "custom[" + std::to_string(i) + "]", c, index);
    for (const auto& x : d) {
      if (!x.error) continue;
      notices.push_back({"custom", x.path + ": " + x.message + " (this model was left out)"});
      break;
    }
  }
  return c;
}

void validate_state(ViewState& s, const Catalog& c, std::vector<Notice>& notices) {
  if (c.machines.empty()) return;
  std::erase_if(s.cal, [&](const Calibration& cal) {
    if (c.backend(cal.backend)) return false;
    notices.push_back({"cal", "calibration for unknown backend '" + cal.backend + "' was dropped"});
    return true;
  });
  const Machine* m = c.machine(s.machine);
  if (!m) {
    if (!s.machine.empty())
      notices.push_back({"machine", "unknown machine '" + s.machine + "'; showing " + c.machines.front().id});
    m = &c.machines.front();
    s.machine = m->id;
  }
  if (s.carve_out_gib) {
    if (m->kind != MemoryKind::AmdApu) {
      s.carve_out_gib.reset();
    } else if (*s.carve_out_gib >= m->ram_gib) {
      notices.push_back({"carve", "a carve-out of " + num_text(*s.carve_out_gib) + " GiB leaves nothing of " +
                                      m->name + "'s " + num_text(m->ram_gib) + " GiB; the default is used"});
      s.carve_out_gib.reset();
    }
  }
  if (s.os_reserve_gib && *s.os_reserve_gib >= m->ram_gib) {
    notices.push_back({"reserve", "an OS reserve of " + num_text(*s.os_reserve_gib) + " GiB is all of the machine's memory; the default is used"});
    s.os_reserve_gib.reset();
  }
  const auto bs = backends_for(c, *m);
  if (!bs.empty() && std::none_of(bs.begin(), bs.end(), [&](const Backend* b) { return b->id == s.backend; })) {
    if (!s.backend.empty())
      notices.push_back({"backend", "backend '" + s.backend + "' does not run on " + m->name + "; showing " + bs.front()->id});
    s.backend = bs.front()->id;
  }
  if (!s.model.empty() && !c.model(s.model)) {
    notices.push_back({"model", "model '" + s.model + "' is not in the catalog"});
    s.model.clear();
  }
  if (s.model.empty() && !c.models.empty()) s.model = c.models.front().id;
}

Scenario scenario_for(const ViewState& s, const Catalog& c) {
  Scenario sc;
  sc.machine = c.machine(s.machine);
  sc.knobs.carve_out_gib = s.carve_out_gib;
  sc.knobs.gtt_gib = s.gtt_gib;
  sc.knobs.os_reserve_gib = s.os_reserve_gib;
  sc.knobs.rocm_gtt = s.rocm_gtt;
  sc.ctx.n_ctx = s.ctx;
  sc.ctx.n_seq = s.slots;
  sc.ctx.kv_unified = s.kv_unified;
  sc.ctx.flash_attn = s.flash_attn;
  sc.ctx.type_k = kv_cache_type(s.type_k).value_or(GgmlType::F16);
  sc.ctx.type_v = kv_cache_type(s.type_v).value_or(GgmlType::F16);
  sc.prompt_tokens = s.prompt;
  return sc;
}

namespace {

void write_pools(JsonOut& o, const Pools& p) {
  o.obj().field("ram", double(p.ram)).field("carve_out", double(p.carve_out)).field("os_visible", double(p.os_visible));
  o.field("gtt", double(p.gtt)).field("os_reserve", double(p.os_reserve)).field("gtt_default", p.gtt_default);
  o.key("warnings").strs(p.warnings).end_obj();
}

double plan_total(const Plan& p) {
  return double(p.weights.total_bytes) + double(p.kv.kv_bytes()) + double(p.kv.state_bytes) +
         double(p.buffers.compute_bytes) + double(p.buffers.output_bytes) + double(p.buffers.host_compute_bytes);
}

}  // namespace

namespace {

// What every part of the view shares: the scenario and the fit table's selection (every model,
// the state's quants, the machine's backends).
struct ViewSetup {
  Scenario sc;
  Selection fit_sel;
  FType focus_q = FType::Q4_K_M;
};

ViewSetup view_setup(const ViewState& s, const Catalog& c) {
  ViewSetup v{scenario_for(s, c), {}, ftype_from_name(s.quant).value_or(FType::Q4_K_M)};
  if (!v.sc.machine) return v;
  for (const auto& x : c.models) v.fit_sel.models.push_back(&x);
  for (const auto& q : s.quants)
    if (auto f = ftype_from_name(q)) v.fit_sel.quants.push_back(*f);
  v.fit_sel.quants_given = true;
  v.fit_sel.backends = backends_for(c, *v.sc.machine);
  return v;
}

std::string lower(std::string x) {
  for (char& ch : x) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return x;
}

// The fit table's cells (model x quant, catalog order) whose "model name quant" contains the
// state's filter, case-insensitive.
std::vector<std::pair<const CatalogModel*, FType>> fit_cells(const Selection& sel, const ViewState& s) {
  std::string q = s.filter;
  q.erase(0, q.find_first_not_of(" \t\n\r"));
  q.erase(q.find_last_not_of(" \t\n\r") + 1);
  q = lower(q);
  std::vector<std::pair<const CatalogModel*, FType>> cells;
  for (const CatalogModel* m : sel.models)
    for (FType f : sel.quants)
      if (q.empty() || lower(m->id + " " + m->name + " " + preset(f).name).find(q) != std::string::npos)
        cells.emplace_back(m, f);
  return cells;
}

// The rows of t in the order of the state's sort column (stable): a number cell sorts as a
// number, other cells as lower-case text; a backend's column sorts by verdict (carve-out > GTT >
// OS squeeze > no fit), then headroom.
std::vector<size_t> sort_order(const Table& t, const std::vector<Plan>& plans, const ViewState& s) {
  std::vector<size_t> order(plans.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  const auto col = std::find(t.headers.begin(), t.headers.end(), s.sort);
  if (s.sort.empty() || col == t.headers.end()) return order;
  const size_t j = size_t(col - t.headers.begin());
  struct Key {
    bool number;
    double n;
    std::string text;
  };
  std::vector<Key> keys(plans.size());
  for (size_t i = 0; i < plans.size(); ++i) {
    const BackendPlan* bp = plans[i].find(s.sort);
    if (bp) {
      double rank = 0;  // no fit
      switch (bp->placement.verdict) {
        case Verdict::CarveOut: rank = 3; break;
        case Verdict::Gtt: rank = 2; break;
        case Verdict::OsSqueeze: rank = 1; break;
        case Verdict::NoFit: break;
      }
      keys[i] = {true, rank * 1e15 + double(bp->placement.headroom), {}};
      continue;
    }
    const std::string& cell = t.rows[i][j];
    double n = 0;
    if (detail::parse_decimal(cell, n)) keys[i] = {true, n, {}};
    else keys[i] = {false, 0, lower(cell)};
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const Key& x = keys[s.desc ? b : a];
    const Key& y = keys[s.desc ? a : b];
    if (x.number && y.number) return x.n < y.n;
    const std::string xs = x.number ? num_text(x.n) : x.text, ys = y.number ? num_text(y.n) : y.text;
    return xs < ys;
  });
  return order;
}

}  // namespace

void write_view_head(JsonOut& o, const ViewState& s, const Catalog& c) {
  const ViewSetup v = view_setup(s, c);
  if (!v.sc.machine) return;
  const Scenario& sc = v.sc;
  const Machine& m = *sc.machine;
  const FType focus_q = v.focus_q;
  const Selection& fit_sel = v.fit_sel;

  o.key("pools");
  write_pools(o, machine_pools(m, sc.knobs));
  o.key("machine").obj().field("id", m.id).field("name", m.name).field("apu", m.kind == MemoryKind::AmdApu);
  o.field("bandwidth_gbs", m.bandwidth_gbs).field("bandwidth_measured_gbs", m.bandwidth_measured_gbs).end_obj();
  o.key("backends").arr();
  for (const Backend* b : fit_sel.backends)
    o.obj().field("id", b->id).field("name", b->name).field("reaches_gtt", backend_reaches_gtt(*b, sc.knobs)).end_obj();
  o.end_arr();

  // The focused model: breakdown, placement per backend, decode speed against depth.
  const CatalogModel* fm = c.model(s.model);
  if (!fm) return;
  const Plan p = make_plan(c, *fm, focus_q, sc);
  o.key("focus").obj().field("model", fm->id).field("name", fm->name).field("quant", preset(focus_q).name);
  o.field("verified", fm->verified).key("sources").strs(fm->sources).field("notes", fm->notes).field("error", p.error);
  o.field("read_bytes", p.speed_in.weight_read_bytes);  // weights read per token (the guide's figure)
  o.key("tables").arr();
  for (const auto& t : plan_tables(c, sc, p, fit_sel)) write_table(o, t);
  o.end_arr();
  o.key("terms").obj().field("weights", double(p.weights.total_bytes - p.weights.token_embd_bytes));
  o.field("token_embd", double(p.weights.token_embd_bytes)).field("kv", double(p.kv.kv_bytes()));
  o.field("state", double(p.kv.state_bytes)).field("compute", double(p.buffers.compute_bytes));
  o.field("host", double(p.buffers.output_bytes + p.buffers.host_compute_bytes)).end_obj();
  o.key("backends").arr();
  for (const auto& bp : p.backends) {
    const auto& pl = bp.placement;
    o.obj().field("id", bp.backend->id).field("name", bp.backend->name).field("verdict", verdict_id(pl.verdict));
    o.field("verdict_label", verdict_label(pl.verdict)).field("gpu_bytes", double(pl.gpu_bytes));
    o.field("host_bytes", double(pl.host_bytes)).field("in_carve_out", double(pl.in_carve_out));
    o.field("in_gtt", double(pl.in_gtt)).field("gpu_limit", double(pl.gpu_limit)).field("headroom", double(pl.headroom));
    o.field("os_free", double(pl.os_free)).field("overhead", double(bp.overhead_bytes));
    o.field("max_context", double(max_context(c, *fm, focus_q, sc, *bp.backend)));
    o.field("decode_tps_0", bp.decode_tps_0).field("decode_tps_ctx", bp.decode_tps_ctx);
    o.field("prefill_tps", bp.prefill_tps).field("ttft_s", bp.ttft_s).field("decode_lo", bp.decode_lo);
    o.field("decode_hi", bp.decode_hi).field("prefill_lo", bp.prefill_lo).field("prefill_hi", bp.prefill_hi);
    o.field("decode_rows", double(bp.backend->speed.decode_rows));
    o.field("prefill_rows", double(bp.backend->speed.prefill_rows));
    o.field("calibrated", bp.backend->speed_calibrated);
    o.field("command", llama_server_command(p, sc, *bp.backend).value_or("")).end_obj();
  }
  o.end_arr();
  if (const Backend* b = c.backend(s.backend)) {
    o.key("curve").obj().field("backend", b->id).field("band_lo", b->speed.decode_lo);
    o.field("band_hi", b->speed.decode_hi).key("points").arr();
    const int64_t depth_max = std::min<int64_t>(s.ctx, p.kv.n_ctx_seq > 0 ? p.kv.n_ctx_seq : s.ctx);
    constexpr int kPoints = 24;
    for (int i = 0; i <= kPoints; ++i) {
      const int64_t d = depth_max * i / kPoints;
      o.arr().num(double(d)).num(decode_tps(*b, m, p.speed_in, fm->arch, sc.ctx, d)).end_arr();
    }
    o.end_arr().end_obj();
  }
  o.end_obj();
}


bool write_view_part(JsonOut& o, std::string_view part, const ViewState& s, const Catalog& c, size_t max_rows) {
  const ViewSetup v = view_setup(s, c);
  if (!v.sc.machine) return false;
  const Scenario& sc = v.sc;
  const Machine& m = *sc.machine;
  const Selection& fit_sel = v.fit_sel;
  if (part == "ceiling") {
    o.key("ceiling");
    write_table(o, ceiling_table(m));
    return true;
  }
  if (part == "setup") {
    o.key("setup").arr();
    for (const auto& t : setup_tables(c, sc, s.gtt_gib)) write_table(o, t);
    o.end_arr();
    return true;
  }
  if (part != "fit" && part != "speed") return false;
  // Plans are made only for the rows sent, unless a sort needs every row's cells.
  auto plans_for = [&](const std::vector<std::pair<const CatalogModel*, FType>>& cells) {
    std::vector<Plan> plans;
    plans.reserve(cells.size());
    for (const auto& [m, f] : cells) plans.push_back(make_plan(c, *m, f, sc));
    return plans;
  };
  if (part == "speed") {
    Selection speed_sel = fit_sel;
    speed_sel.backends.clear();
    if (const Backend* b = c.backend(s.backend)) speed_sel.backends.push_back(b);
    std::vector<std::pair<const CatalogModel*, FType>> cells;
    for (const CatalogModel* m : fit_sel.models)
      for (FType f : fit_sel.quants) cells.emplace_back(m, f);
    const size_t total = cells.size();
    if (max_rows && cells.size() > max_rows) cells.resize(max_rows);
    o.key("speed");
    write_table(o, speed_table(sc, speed_sel, plans_for(cells)), /*close=*/false);
    o.field("matching", double(total)).field("total", double(total)).end_obj();
    return true;
  }
  // Fit table plus the raw numbers behind each row (for the verdict colours and the picture), in
  // the order shown (filter, sort) and at most max_rows of them.
  std::vector<std::pair<const CatalogModel*, FType>> cells = fit_cells(fit_sel, s);
  const size_t matching = cells.size();
  const bool sorted = !s.sort.empty() && [&] {
    Table probe = fit_table(sc, fit_sel, {});
    return std::find(probe.headers.begin(), probe.headers.end(), s.sort) != probe.headers.end();
  }();
  if (!sorted && max_rows && cells.size() > max_rows) cells.resize(max_rows);
  std::vector<Plan> plans = plans_for(cells);
  Table shown = fit_table(sc, fit_sel, plans);
  if (sorted) {
    std::vector<size_t> order = sort_order(shown, plans, s);
    if (max_rows && order.size() > max_rows) order.resize(max_rows);
    std::vector<Plan> p2;
    std::vector<std::vector<std::string>> rows;
    for (size_t i : order) {
      p2.push_back(std::move(plans[i]));
      rows.push_back(std::move(shown.rows[i]));
    }
    plans = std::move(p2);
    shown.rows = std::move(rows);
  }
  o.key("fit");
  write_table(o, shown, /*close=*/false);
  o.field("matching", double(matching)).field("total", double(fit_sel.models.size() * fit_sel.quants.size()));
  o.key("data").arr();
  for (const Plan& p : plans) {
    const CatalogModel* x = p.model;
    o.obj().field("model", x->id).field("name", x->name).field("quant", preset(p.quant).name);
    o.field("weights", double(p.weights.total_bytes)).field("kv", double(p.kv.kv_bytes()));
    o.field("state", double(p.kv.state_bytes));
    o.field("buffers", double(p.buffers.compute_bytes + p.buffers.output_bytes + p.buffers.host_compute_bytes));
    o.field("total", plan_total(p)).field("error", p.error).key("verdicts").obj();
    for (const auto& bp : p.backends) {
      o.key(bp.backend->id).obj().field("verdict", verdict_id(bp.placement.verdict));
      o.field("headroom", double(bp.placement.headroom)).end_obj();
    }
    o.end_obj().end_obj();
  }
  o.end_arr().end_obj();
  return true;
}

void write_view(JsonOut& o, const ViewState& s, const Catalog& c) {
  write_view_head(o, s, c);
  for (const char* part : kViewParts) write_view_part(o, part, s, c, 0);
}

json compute_view(const ViewState& s, const Catalog& c) {
  JsonOut o;
  o.obj();
  write_view(o, s, c);
  o.end_obj();
  return json::parse(o.text());
}

std::string catalog_info(const Catalog& c) {
  JsonOut o;
  o.obj().key("machines").arr();
  for (const auto& m : c.machines) {
    o.obj().field("id", m.id).field("name", m.name).field("apu", m.kind == MemoryKind::AmdApu).field("ram_gib", m.ram_gib);
    o.key("carve_out_options_gib").arr();
    for (double g : m.carve_out_options_gib) o.num(g);
    o.end_arr().field("default_carve_out_gib", m.default_carve_out_gib);
    o.field("default_os_reserve_gib", m.default_os_reserve_gib).field("gpu_limit_fraction", m.gpu_limit_fraction);
    o.field("bandwidth_gbs", m.bandwidth_gbs).key("backends").arr();
    for (const Backend* b : backends_for(c, m)) o.str(b->id);
    o.end_arr().end_obj();
  }
  o.end_arr().key("backends").arr();
  for (const auto& b : c.backends) o.obj().field("id", b.id).field("name", b.name).field("gtt_switchable", b.gtt_switchable).end_obj();
  o.end_arr().key("models").arr();
  for (const auto& m : c.models) o.obj().field("id", m.id).field("name", m.name).end_obj();
  o.end_arr().key("quants").arr();
  for (FType f : quant_ladder()) o.str(preset(f).name);
  o.end_arr().key("cache_types").arr();
  for (const char* t : {"f16", "bf16", "q8_0", "q5_1", "q5_0", "q4_1", "q4_0", "iq4_nl", "f32"}) o.str(t);
  return o.end_arr().end_obj().take();
}

}  // namespace haloplan
