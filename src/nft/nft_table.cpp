// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/nft_table.hpp"

#include <nftables/libnftables.h>

#include "plan/mark_chains.hpp"
#include "plan/ownership.hpp"

namespace uplinkd {

namespace {

const std::string kTableId = std::string("inet ") + ownership::kNftTable;

// libnftables tells "no such table or map" only by the kernel's ENOENT text in its error message.
bool is_missing(const KernelError& error) {
  return error.detail.find("No such file or directory") != std::string::npos;
}

std::string trimmed(const char* text) {
  std::string result = text ? text : "";
  while (!result.empty() && (result.back() == '\n' || result.back() == ' ')) result.pop_back();
  return result;
}

}  // namespace

void NftTable::Free::operator()(nft_ctx* context) const {
  nft_ctx_free(context);
}

NftTable::NftTable() : context_(nft_ctx_new(NFT_CTX_DEFAULT)) {
  UPLINKD_ASSERT(context_ != nullptr, "nft_ctx_new failed (out of memory)");
  // Buffered, so that errors become KernelError::detail instead of text on uplinkd's stderr.
  nft_ctx_buffer_output(context_.get());
  nft_ctx_buffer_error(context_.get());
}

NftTable::~NftTable() = default;
NftTable::NftTable(NftTable&&) noexcept = default;
NftTable& NftTable::operator=(NftTable&&) noexcept = default;

std::optional<KernelError> NftTable::run(const std::string& what, const std::string& script) {
  // Reading a buffer resets it: start from empty ones, so that nothing of an earlier command leaks in.
  nft_ctx_get_output_buffer(context_.get());
  nft_ctx_get_error_buffer(context_.get());
  // One call with the whole script is one netlink batch, which the kernel commits or rejects as a whole.
  if (nft_run_cmd_from_buffer(context_.get(), script.c_str()) == 0) return std::nullopt;
  // libnftables reports failures as text only (no errno), so the code stays 0 and the text is the detail.
  return KernelError{what, 0, trimmed(nft_ctx_get_error_buffer(context_.get()))};
}

std::optional<KernelError> NftTable::replace(const NatPlan& plan) {
  return replace(nft::nat_table(plan));
}

std::optional<KernelError> NftTable::replace(const nft::Table& table) {
  UPLINKD_ASSERT(table.family + " " + table.name == kTableId, "NftTable only replaces uplinkd's own table");
  return run("replace nftables table " + kTableId, nft::render_replace(table));
}

std::optional<KernelError> NftTable::apply(const NftPatch& patch, const std::string& what) {
  UPLINKD_ASSERT(patch.family + " " + patch.table == kTableId, "NftTable only changes uplinkd's own table");
  return run(what, nft::render_patch(patch));
}

std::optional<KernelError> NftTable::remove() {
  return run("remove nftables table " + kTableId,
             nft::render_replace(nft::Table{"inet", ownership::kNftTable, {}, {}}));
}

Expected<std::string> NftTable::list() {
  if (auto error = run("list nftables table " + kTableId, "list table " + kTableId)) {
    if (is_missing(*error)) return std::string();
    return *error;
  }
  return std::string(nft_ctx_get_output_buffer(context_.get()));
}

Expected<std::vector<nft::StickySource>> NftTable::sticky_sources() {
  std::vector<nft::StickySource> sources;
  for (const char* name : {nft::kStickyMap, nft::kStickyMap6}) {
    const std::string map = kTableId + " " + name;
    // JSON only for this listing: the plain text is what list() promises its callers.
    const unsigned flags = nft_ctx_output_get_flags(context_.get());
    nft_ctx_output_set_flags(context_.get(), flags | NFT_CTX_OUTPUT_JSON);
    auto error = run("list nftables map " + map, "list map " + map);
    nft_ctx_output_set_flags(context_.get(), flags);
    if (error) {
      if (is_missing(*error)) continue;
      return *error;
    }
    try {
      auto listed = nft::parse_sticky_listing(nft_ctx_get_output_buffer(context_.get()));
      sources.insert(sources.end(), listed.begin(), listed.end());
    } catch (const InputError& bad) {
      return KernelError{"list nftables map " + map, 0, bad.what()};
    }
  }
  return sources;
}

}  // namespace uplinkd
