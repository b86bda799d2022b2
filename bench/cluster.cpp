// Prints every measured cluster row beside haloplan's estimate:
//
//   cluster ROWS.csv      (../shared/reference/calibration/llama_bench_cluster.csv, or a copy)
//
// Each row's model on one Framework Desktop is estimated by the shipped speed model (its build's
// family, as bench/accuracy does); llama.cpp RPC with -sm layer then adds kRpcHopSeconds per
// generated token for every node beyond the first, and the activations crossing the link for each
// prompt token (planner/cluster.h). Rows split by -sm tensor are shown against that layer-split
// estimate, not predicted. Rows whose model the catalog lacks are listed with the reason.
#include "haloplan/planner/cluster.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "haloplan/catalog/bench.h"
#include "haloplan/default_catalog.h"
#include "scoring.h"

using namespace haloplan;

namespace {

// Models of the rows that the catalog holds under another id: the same architecture at the same
// size. DeepSeek-R1 is trained from DeepSeek-V3-Base; the MiniMax-M2.5 REAP prune is the 139B of
// the M2.1 one's family (an approximation: its expert count may differ).
const std::map<std::string, std::string> kSameArchitecture = {{"deepseek-r1", "deepseek-v3"},
                                                              {"minimax-m2.5-reap", "minimax-m2.1-reap-139b"}};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: cluster ROWS.csv\n";
    return 2;
  }
  std::ifstream f(argv[1]);
  if (!f) {
    std::cerr << "cluster: cannot read '" << argv[1] << "'\n";
    return 2;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  Catalog cat;
  if (has_errors(load_default_catalog(cat))) return 1;
  const Machine* m = cat.machine("framework-desktop-128");
  // The cluster columns, by line.
  const auto recs = parse_csv(text);
  if (recs.empty()) return 1;
  const auto& head = recs.front().second;
  auto col = [&](const char* name) { return size_t(std::find(head.begin(), head.end(), name) - head.begin()); };
  const size_t c_nodes = col("nodes"), c_link = col("link"), c_split = col("split_mode");
  if (c_nodes >= head.size() || c_link >= head.size() || c_split >= head.size()) {
    std::cerr << "cluster: no nodes, link or split_mode column\n";
    return 2;
  }
  std::map<int, std::vector<std::string>> by_line;
  for (const auto& [line, v] : recs) by_line[line] = v;
  BenchRows rows = parse_calibration_csv(text);
  std::map<int, std::string> alias;
  for (auto& r : rows.rows)
    if (auto it = kSameArchitecture.find(r.model_id); it != kSameArchitecture.end()) {
      alias[r.line] = r.model_id;
      r.model_id = it->second;
    }
  bench::Prepared p = bench::prepare(cat, *m, rows);
  bench::predict(p, cat.speed_families);
  std::map<int, const bench::Scored*> scored;
  for (const auto& s : p.rows) scored[s.row.line] = &s;

  std::printf(
      "| model | quant | nodes | link | split | test | measured t/s | one box (est.) | cluster (est.) | measured/est. "
      "|\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
  std::vector<double> err_decode, err_prefill;
  int tensor = 0, missing = 0;
  for (const auto& r : rows.rows) {
    const auto& v = by_line[r.line];
    const int nodes = std::max(1, std::atoi(v[c_nodes].c_str()));
    const std::string link = v[c_link], split = v[c_split];
    // -sm tensor shards every matrix; a --tensor-split ratio alone splits layers.
    const bool is_tensor = split.find("-sm tensor") != std::string::npos;
    const std::string name = alias.count(r.line) ? alias[r.line] + " (as " + r.model_id + ")" : r.model_id;
    const auto it = scored.find(r.line);
    std::string one = "not in the catalog", est = "-", ratio = "-";
    if (it != scored.end()) {
      const double single = it->second->predicted;
      const CatalogModel* model = cat.model(r.model_id);
      // The link's rate for the activations: as the row names it, 10 GbE when it does not say.
      const LinkKind* lk = link_kind(
          link.find("50") != std::string::npos                                                      ? "50gbe"
          : link.find("25") != std::string::npos                                                    ? "25gbe"
          : link.find("USB4") != std::string::npos || link.find("Thunderbolt") != std::string::npos ? "usb4"
                                                                                                    : "10gbe");
      double s = 1 / single;
      if (r.decode) s = cluster_decode_seconds(s, nodes);
      else s += (nodes - 1) * (4.0 * double(model->arch.n_embd) / (lk->gbps * 1e9 / 8) + kRpcHopSeconds / r.n_ubatch);
      const double cluster = 1 / s;
      char b1[32], b2[32], b3[32];
      std::snprintf(b1, sizeof b1, "%.2f", single);
      std::snprintf(b2, sizeof b2, "%.2f", cluster);
      std::snprintf(b3, sizeof b3, "%.2f", r.tps / cluster);
      one = b1;
      est = is_tensor ? "(layer) " + std::string(b2) : b2;
      ratio = b3;
      if (is_tensor) ++tensor;
      else (r.decode ? err_decode : err_prefill).push_back(std::fabs(r.tps / cluster - 1));
    } else {
      ++missing;
    }
    std::printf("| %s | %s | %d | %s | %s | %s | %.2f | %s | %s | %s |\n", name.c_str(), r.quant.c_str(), nodes,
                link.substr(0, 40).c_str(), split.substr(0, 32).c_str(), r.test.c_str(), r.tps, one.c_str(),
                est.c_str(), ratio.c_str());
  }
  // The evidence that -sm tensor across nodes is slower: its rows beside the same model's
  // layer-split rows over the same link kind.
  std::printf("\n| -sm tensor vs -sm layer (measured) | link | test | tensor t/s | layer t/s | tensor/layer |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (const auto& r : rows.rows) {
    const auto& v = by_line[r.line];
    if (v[c_split].find("-sm tensor") == std::string::npos) continue;
    const bool rdma = v[c_link].find("RDMA") != std::string::npos;
    for (const auto& l : rows.rows) {
      const auto& w = by_line[l.line];
      if (l.model_id != r.model_id || l.test != r.test || w[c_split].find("-sm layer") == std::string::npos ||
          (w[c_link].find("RDMA") != std::string::npos) != rdma)
        continue;
      std::printf("| %s %s | %s | %s | %.2f | %.2f | %.2f |\n", r.model_id.c_str(), r.quant.c_str(),
                  rdma ? "RDMA" : "TCP", r.test.c_str(), r.tps, l.tps, r.tps / l.tps);
      break;
    }
  }
  std::printf("\nlayer split: decode median error %.1f %% over %zu rows, prefill %.1f %% over %zu rows\n",
              100 * median(err_decode), err_decode.size(), 100 * median(err_prefill), err_prefill.size());
  std::printf("-sm tensor: %d rows with a catalog model, shown against the layer-split estimate (not predicted)\n",
              tensor);
  std::printf("not predicted: %d rows whose model the catalog lacks\n", missing);
  for (const auto& [why, n] : p.skipped) std::printf("  %d: %s\n", n, why.c_str());
  return 0;
}
