// `haven-mpesa reconcile FILE [--agency ID]`: streams the statement file through service::ImportStatement (the same
// import as POST /api/v1/reconciliations), with a progress bar on a terminal, then prints the summary.
#include "app/reconcile_cli.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/config.hpp"
#include "service/reconciliation.hpp"
#include "storage/store.hpp"

namespace haven::app {
namespace {

/// "[#########...........]  45%  9.1 / 20.0 MB" on stderr, redrawn in place when the percentage changes.
class ProgressBar {
  public:
    explicit ProgressBar(int64_t total) : total_(total > 0 ? total : 1) {}
    void Update(int64_t done) {
        const int percent = static_cast<int>(done * 100 / total_);
        if (percent == last_) return;
        last_ = percent;
        constexpr int kWidth = 30;
        const int filled = percent * kWidth / 100;
        std::fprintf(stderr, "\r[%s%s] %3d%%  %.1f / %.1f MB", std::string(filled, '#').c_str(),
                     std::string(kWidth - filled, '.').c_str(), percent, static_cast<double>(done) / 1e6,
                     static_cast<double>(total_) / 1e6);
        std::fflush(stderr);
    }
    void Done() { std::fprintf(stderr, "\n"); }

  private:
    int64_t total_;
    int last_ = -1;
};

int Reconcile(const std::string& path, int64_t agency_id) {
    auto config = LoadConfig(ProcessEnv());
    if (!config) {
        std::cerr << "haven-mpesa reconcile: configuration error: " << config.error().message << "\n";
        return 2;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::cerr << "haven-mpesa reconcile: cannot open " << path << "\n";
        return 2;
    }
    auto store = storage::MakeStore(config->database_url);
    if (!store) {
        std::cerr << "haven-mpesa reconcile: " << store.error().message << "\n";
        return 1;
    }
    if (auto m = (*store)->Migrate(); !m) {
        std::cerr << "haven-mpesa reconcile: " << m.error().message << "\n";
        return 1;
    }
    if (auto agency = (*store)->FindAgency(agency_id); !agency) {
        std::cerr << "haven-mpesa reconcile: no agency with id " << agency_id << "\n";
        return 2;
    }
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    const bool tty = ::isatty(STDERR_FILENO) != 0;
    ProgressBar bar(ec ? 0 : static_cast<int64_t>(size));
    std::function<void(int64_t)> progress;
    if (tty) progress = [&bar](int64_t done) { bar.Update(done); };
    auto imported = service::ImportStatement(
        **store, in,
        {.agency_id = agency_id, .file_name = std::filesystem::path(path).filename().string(), .actor = "cli"},
        progress);
    if (tty) bar.Done();
    if (!imported) {
        std::cerr << "haven-mpesa reconcile: " << path << ": " << imported.error().message << "\n";
        return 1;
    }
    const auto& i = imported->import;
    if (!imported->created) std::cout << "This file was already imported (nothing changed):\n";
    std::cout << "reconciliation " << i.id << ": " << i.row_count << " rows";
    if (!i.period_from.empty()) std::cout << " from " << i.period_from << " to " << i.period_to;
    std::cout << "\n";
    const auto summary = nlohmann::json::parse(i.summary, nullptr, false);
    if (summary.is_object()) {
        const auto rows = summary.value("rows", nlohmann::json::object());  // kept: items() refers to it
        for (const auto& [kind, row] : rows.items()) {
            std::cout << "  " << kind << ": " << row.value("count", 0) << " rows, " << row.value("amount", 0)
                      << " KES\n";
        }
        std::cout << "findings: " << i.finding_count << "\n";
        const auto findings = summary.value("findings", nlohmann::json::object());
        for (const auto& [kind, n] : findings.items()) {
            std::cout << "  " << kind << ": " << n.get<int64_t>() << "\n";
        }
    }
    auto first = (*store)->ListReconciliationFindings({.agency_id = agency_id, .import_id = i.id, .limit = 20});
    if (first) {
        for (const auto& f : *first) {
            std::cout << "  " << f.kind << " " << f.receipt;
            if (f.line) std::cout << " (line " << *f.line << ")";
            std::cout << ": " << f.detail << "\n";
        }
        if (i.finding_count > static_cast<int64_t>(first->size())) {
            std::cout << "  ... the full report: GET /api/v1/reconciliations/" << i.id << "/report.csv\n";
        }
    }
    return 0;
}

}  // namespace

void AddReconcileCommand(CLI::App& app) {
    auto* cmd = app.add_subcommand("reconcile",
                                   "Import an M-Pesa business statement (CSV from the org portal) and compare it with "
                                   "our records (DATABASE_URL)");
    auto path = std::make_shared<std::string>();
    auto agency = std::make_shared<int64_t>(1);
    cmd->add_option("FILE", *path, "The statement CSV")->required();
    cmd->add_option("--agency", *agency, "The agency id the statement belongs to")->default_val(1);
    cmd->callback([path, agency] {
        if (int code = Reconcile(*path, *agency); code != 0) throw CLI::RuntimeError(code);
    });
}

}  // namespace haven::app
