// The calculator's view as a value: machine, knobs, context, selection and the user's own catalog
// entries. It travels as a link (URL fragment), as JSON (the page, exports) and into one call that
// computes every table. Broken parts of a link or a state fall back to defaults with a notice.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "haloplan/calib.h"
#include "haloplan/catalog.h"
#include "haloplan/json_out.h"
#include "haloplan/plan.h"

namespace haloplan {

constexpr int kLinkVersion = 1;
constexpr size_t kMaxLinkBytes = 256 * 1024;       // a fragment longer than this is refused
constexpr size_t kMaxCustomBytes = 1024 * 1024;    // custom models, after decompression

struct ViewState {
  std::string machine;  // empty: the catalog's first machine
  std::optional<double> carve_out_gib, gtt_gib, os_reserve_gib;  // empty: the machine's default
  bool rocm_gtt = false;
  std::string backend;  // backend for speed and the picture; empty: the machine's first
  int64_t ctx = 32768;
  std::string type_k = "f16", type_v = "f16";
  int slots = 1;
  bool kv_unified = true;
  bool flash_attn = true;
  int64_t prompt = 4096;
  std::vector<std::string> quants = {"Q4_K_M"};  // fit and speed table columns
  std::string model;                              // focused model; empty: the first
  std::string quant = "Q4_K_M";                   // focused model's quant
  std::string filter;                             // fit table filter text
  std::string sort;                               // fit table sort column key; empty: catalog order
  bool desc = false;
  std::string section;                            // section to scroll to (deep link); empty: top
  nlohmann::json custom = nlohmann::json::array();  // user models, models.json entry schema
  std::vector<std::string> removed;                 // shipped model ids the user deleted
  std::vector<Calibration> cal;                     // the user's own llama-bench calibrations
};

// Calibrations in a link: "backend:decode_scale:prefill_scale:decode_rows:prefill_rows", comma
// separated ("llamacpp-vulkan:1.083:0.912:6:6").
std::string calibrations_text(const std::vector<Calibration>& cals);
// Empty string on success, else what is wrong.
std::string parse_calibrations(const std::string& text, std::vector<Calibration>& out);

// Something in a link or state that could not be used; `key` names the part ("ctx", "custom").
struct Notice {
  std::string key, message;
};

// Fragment without the leading '#': "v=1&machine=...&ctx=32768&...". A bare section id
// ("#guide-gtt") is a deep link into the default view.
std::string encode_link(const ViewState& s);
// The link if it is at most max_bytes long; nullopt, without encoding all of it, if not.
std::optional<std::string> encode_link(const ViewState& s, size_t max_bytes);
ViewState decode_link(std::string_view fragment, std::vector<Notice>& notices);

nlohmann::json state_to_json(const ViewState& s);
ViewState state_from_json(std::string_view text, std::vector<Notice>& notices);

// The shipped catalog with the state's removals, custom models and calibrations applied. Custom
// models with errors are left out (with notices); the rest of the state is unaffected.
Catalog apply_custom(const Catalog& shipped, const ViewState& s, std::vector<Notice>& notices);

// Replaces references the catalog cannot satisfy (unknown machine, backend not on the machine,
// impossible carve-out, unknown quant or cache type) with defaults, each with a notice.
void validate_state(ViewState& s, const Catalog& c, std::vector<Notice>& notices);

Scenario scenario_for(const ViewState& s, const Catalog& c);  // s validated against c

// Every table of the view, as JSON: fit, speed, ceiling, setup, the focused model's breakdown,
// placement per backend and decode speed against depth. s validated against c. write_view writes
// these members into the object `o` has open; compute_view returns them as one object.
void write_view(JsonOut& o, const ViewState& s, const Catalog& c);
nlohmann::json compute_view(const ViewState& s, const Catalog& c);
// The same in pieces, for a page that draws the parts out of view later: the head (pools, machine,
// backends, the focused model) and each of kViewParts; write_view_part is false for an unknown part.
// The fit table's rows come filtered and sorted as the state says; "fit" and "speed" carry at most
// max_rows rows (0: all) with "matching" (rows that pass the filter) and "total".
inline constexpr const char* kViewParts[] = {"fit", "speed", "ceiling", "setup"};
void write_view_head(JsonOut& o, const ViewState& s, const Catalog& c);
bool write_view_part(JsonOut& o, std::string_view part, const ViewState& s, const Catalog& c, size_t max_rows = 0);

// Machines, backends, models, quant presets and cache types for the page's pickers (JSON text).
std::string catalog_info(const Catalog& c);

std::optional<GgmlType> kv_cache_type(std::string_view name);  // f32 f16 bf16 q8_0 ... iq4_nl

}  // namespace haloplan
