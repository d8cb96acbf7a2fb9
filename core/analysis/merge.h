#pragma once
// `quantscope merge` (issue #12): joins the results folders of a sharded run (`--shard
// K/N` on wq, atlas or plan) into what one process over the whole selection produces.
// The shard folders' results.json are read back into WqReports (readResultsFolder, the
// inverse of renderJson), checked to belong together, and their tensors put back in
// selection order; the caller then hands the merged report to the same sink the
// command uses (renderTableTxt / renderJson for wq, the atlas builder, the planner), so
// nothing is rendered a second way.
// Refusals (Error::usage, exit 1) name the folders: not a results folder or not a shard,
// an unfinished or incomplete folder, different commits, commands, formats, options or
// selections, a shard count that differs, duplicate and missing shards (listed), a
// folder that does not hold the part the split gives.
#include "analysis/wq_run.h"
#include "common/result.h"

#include <QString>
#include <QStringList>

#include <string>
#include <vector>

namespace qs {

// Each path is a results folder (it holds results.json) or a folder searched, recursively,
// for results folders of sharded runs; the result is sorted. Error when a path does not
// exist or nothing was found below it.
Result<QStringList> findShardFolders(const QStringList& paths);

// A results folder read back: the report as renderJson wrote it (rows at full precision,
// statistics from their exact sums) and its compression_config.used.json.
struct ResultsFolder {
    QString path;
    WqReport report;
};
Result<ResultsFolder> readResultsFolder(const QString& folder);

struct MergedRun {
    WqReport report;        // every shard's tensors in selection order; report.shard empty
    ShardRecord shard;      // the shards' common record (command, options, commit, count)
    QStringList folders;    // by shard index
};
Result<MergedRun> mergeShards(const QStringList& folders);

// Writes the merged results folder at `out` (which must not exist or be empty): table.txt,
// compression_config.used.json and results.json rendered from the merged report, and the
// shards' mixed-tile artefacts gathered. Built in a work folder and renamed when complete.
Result<QString> writeMergedFolder(const MergedRun& run, const QString& out);

// The checks every kind of shard output gets, on (path, record) pairs: the same commit,
// count, command and command options (checkShardRecords); then the same fingerprint and
// every shard 1..N exactly once, duplicates and missing ones listed (checkShardCoverage).
Result<void> checkShardRecords(const std::vector<std::pair<std::string, ShardRecord>>& shards);
Result<void> checkShardCoverage(const std::vector<std::pair<std::string, ShardRecord>>& shards);

// `export --shard K/N --out F.safetensors` writes F-0000K-of-0000N.safetensors, its
// metadata recording the shard; exportShardPath() names it, exportShardMetadata() the
// keys. mergeExportFiles() joins the files into `out`: the same tensors, order, metadata
// and bytes as one export over the whole selection. Returns the tensor count.
QString exportShardPath(const QString& out, const ShardSpec& spec);
std::vector<std::pair<std::string, std::string>> exportShardMetadata(const ShardRecord& record);
Result<int64_t> mergeExportFiles(const QStringList& files, const QString& out);

// results/<model>/<algorithm>/<stamp> under the working directory, as wq names it.
QString defaultMergedPath(const WqReport& report);

} // namespace qs
