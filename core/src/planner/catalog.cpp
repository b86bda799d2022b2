#include "haloplan/planner/catalog.h"

namespace haloplan {

const CatalogModel* Catalog::model(std::string_view id) const {
  for (const auto& m : models)
    if (m.id == id) return &m;
  return nullptr;
}
const PublishedFile* CatalogModel::published(std::string_view key) const {
  for (const auto& f : files)
    if (f.key() == key) return &f;
  return nullptr;
}

const Machine* Catalog::machine(std::string_view id) const {
  for (const auto& m : machines)
    if (m.id == id) return &m;
  return nullptr;
}
const Backend* Catalog::backend(std::string_view id) const {
  for (const auto& b : backends)
    if (b.id == id) return &b;
  return nullptr;
}

}  // namespace haloplan
