// Layer: view. One model over 2-4 boxes joined by llama.cpp RPC, as the CLI's `cluster` and the
// page's cluster part show it: the request checked (every refusal a sentence naming what is
// wrong), the per-node table, the JSON object and the commands.
#pragma once
#include <string>
#include <vector>

#include "haloplan/planner/cluster.h"
#include "haloplan/text/json_out.h"
#include "haloplan/view/table.h"
#include "haloplan/view/tables.h"

namespace haloplan {

struct ClusterRequest {
  const CatalogModel* model = nullptr;
  FType quant = FType::Q4_K_M;
  Scenario sc;                     // the head's machine and knobs, the context, a published file
  std::vector<ClusterNode> nodes;  // the head first
  const Backend* backend = nullptr;
  const LinkKind* link = nullptr;
  std::vector<double> ts;  // -ts proportions, one per node; empty: by free memory
};

// `n` boxes of the scenario's machine with its knobs, the cell's model at its quant or file, split
// by free memory: the cluster the page plans (one machine, no -ts).
ClusterRequest same_boxes(const Cell& cell, const Scenario& s, int n, const Backend* b, const LinkKind* link);

// Why the request cannot be planned ("" when it can): node count, machines that are not
// unified-memory boxes, a -ts of the wrong length, a backend that is not llama.cpp's or does not
// run on a node.
std::string cluster_problem(const Catalog& c, const ClusterRequest& r);

// The plan, with the head's llama-server command for one box as the base of its --rpc command.
ClusterPlan plan_cluster_request(const Catalog& c, const ClusterRequest& r);

// Nodes, layers, memory and verdict per node; the notes give the speeds and the evidence.
Table cluster_table(const ClusterRequest& r, const ClusterPlan& p);

// model, quant, backend, link, verdict, speeds, fits_one_node, nodes[], commands[].
void write_cluster(JsonOut& o, const ClusterRequest& r, const ClusterPlan& p);

}  // namespace haloplan
