// --shard parsing (K/N, auto from Slurm job arrays and Kubernetes Indexed Jobs, errors)
// and the byte-balanced split every shard computes (io/shard.h).
#include "io/shard.h"

#include <QTest>

#include <map>
#include <numeric>
#include <random>

using namespace qs;

namespace {

EnvLookup env(std::map<std::string, std::string> vars)
{
    return [vars](const char* name) -> std::optional<std::string> {
        const auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

std::string errorOf(const std::string& text, std::map<std::string, std::string> vars = {})
{
    auto r = parseShard(text, env(std::move(vars)));
    return r ? std::string() : r.error().message;
}

} // namespace

class TestShard : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void explicitKOfN()
    {
        auto s = parseShard("2/3", env({}));
        QVERIFY(s);
        QCOMPARE(s->index, 2);
        QCOMPARE(s->count, 3);
        QCOMPARE(QString::fromStdString(s->text()), QStringLiteral("2/3"));
        QVERIFY(parseShard("1/1", env({})));
        // explicit K/N ignores the environment
        auto e = parseShard("1/4", env({{"SLURM_ARRAY_TASK_ID", "3"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}));
        QVERIFY(e);
        QCOMPARE(e->index, 1);
    }

    void explicitErrors()
    {
        QCOMPARE(errorOf("0/3"), std::string("--shard 0/3: K must be a whole number from 1 to 3 (K counts from 1)"));
        QCOMPARE(errorOf("4/3"), std::string("--shard 4/3: K must be a whole number from 1 to 3 (K counts from 1)"));
        QCOMPARE(errorOf("1/0"), std::string("--shard 1/0: expected K/N with N a whole number from 1 to 100000"));
        QCOMPARE(errorOf("a/3"), std::string("--shard a/3: K must be a whole number from 1 to 3 (K counts from 1)"));
        QCOMPARE(errorOf("3"), std::string("--shard 3: expected K/N (K from 1 to N), auto or auto/N"));
        QCOMPARE(errorOf("-1/3"), std::string("--shard -1/3: K must be a whole number from 1 to 3 (K counts from 1)"));
        QCOMPARE(errorOf("1/2/3"), std::string("--shard 1/2/3: expected K/N with N a whole number from 1 to 100000"));
    }

    void autoSlurmCount()
    {
        // sbatch --array=0-2: ids 0, 1, 2 -> shards 1/3, 2/3, 3/3
        for (int id = 0; id < 3; ++id) {
            auto s = parseShard("auto", env({{"SLURM_ARRAY_TASK_ID", std::to_string(id)}, {"SLURM_ARRAY_TASK_COUNT", "3"},
                                             {"SLURM_ARRAY_TASK_MIN", "0"}, {"SLURM_ARRAY_TASK_MAX", "2"}}));
            QVERIFY2(s, s ? "" : s.error().message.c_str());
            QCOMPARE(s->index, id + 1);
            QCOMPARE(s->count, 3);
        }
        // --array=1-4: K = ID - MIN + 1
        auto s = parseShard("auto", env({{"SLURM_ARRAY_TASK_ID", "4"}, {"SLURM_ARRAY_TASK_MIN", "1"},
                                         {"SLURM_ARRAY_TASK_MAX", "4"}}));
        QVERIFY(s);
        QCOMPARE(s->index, 4);
        QCOMPARE(s->count, 4);
        // COUNT without MIN: the ids start at 0
        s = parseShard("auto", env({{"SLURM_ARRAY_TASK_ID", "0"}, {"SLURM_ARRAY_TASK_COUNT", "2"}}));
        QVERIFY(s);
        QCOMPARE(s->index, 1);
        QCOMPARE(s->count, 2);
        // auto/N agrees with the array, or says how many tasks it has
        QVERIFY(parseShard("auto/2", env({{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_COUNT", "2"}})));
        QCOMPARE(errorOf("auto/3", {{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_COUNT", "2"}}),
                 std::string("--shard auto/3: the Slurm array has 2 tasks, not 3"));
        // only the id: auto/N gives the count
        s = parseShard("auto/5", env({{"SLURM_ARRAY_TASK_ID", "4"}}));
        QVERIFY(s);
        QCOMPARE(s->index, 5);
    }

    void autoSlurmErrors()
    {
        QCOMPARE(errorOf("auto", {{"SLURM_ARRAY_TASK_ID", "1"}}),
                 std::string("--shard auto: SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor "
                             "SLURM_ARRAY_TASK_MAX is; give the count as --shard auto/N"));
        QCOMPARE(errorOf("auto", {{"SLURM_ARRAY_TASK_ID", "x"}}),
                 std::string("--shard auto: SLURM_ARRAY_TASK_ID=\"x\" is not a whole number >= 0"));
        // a sparse array (--array=0,5) is not N consecutive tasks
        QCOMPARE(errorOf("auto", {{"SLURM_ARRAY_TASK_ID", "5"}, {"SLURM_ARRAY_TASK_COUNT", "2"}, {"SLURM_ARRAY_TASK_MIN", "0"}}),
                 std::string("--shard auto: SLURM_ARRAY_TASK_ID=5 with first index 0 is not one of 2 consecutive tasks "
                             "(submit with --array=0-1)"));
    }

    void autoIndexedJob()
    {
        for (int i = 0; i < 4; ++i) {
            auto s = parseShard("auto/4", env({{"JOB_COMPLETION_INDEX", std::to_string(i)}}));
            QVERIFY(s);
            QCOMPARE(s->index, i + 1);
            QCOMPARE(s->count, 4);
        }
        QCOMPARE(errorOf("auto", {{"JOB_COMPLETION_INDEX", "0"}}),
                 std::string("--shard auto: JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but the shard count "
                             "is not: use --shard auto/N with N = the Job's completions"));
        QCOMPARE(errorOf("auto/4", {{"JOB_COMPLETION_INDEX", "4"}}),
                 std::string("--shard auto/4: JOB_COMPLETION_INDEX=4 is not below the count 4"));
        // Slurm wins when both are set (a Slurm job does not run inside a pod's index)
        auto s = parseShard("auto/2", env({{"JOB_COMPLETION_INDEX", "0"}, {"SLURM_ARRAY_TASK_ID", "1"}}));
        QVERIFY(s);
        QCOMPARE(s->index, 2);
    }

    void autoWithoutScheduler()
    {
        QCOMPARE(errorOf("auto"), std::string("--shard auto: none of SLURM_ARRAY_TASK_ID (a Slurm job array) or "
                                              "JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set; give the shard as K/N"));
        QCOMPARE(errorOf("auto/x"), std::string("--shard auto/x: expected K/N with N a whole number from 1 to 100000"));
    }

    void splitIsLptAndDeterministic()
    {
        // LPT by hand, sizes descending 10 8 7 5 4 3, each to the lighter part (ties: the
        // first): 10->A, 8->B, 7->B (8 < 10: B=15), 5->A (15), 4->A (15 = 15: A=19), 3->B (18).
        const std::vector<uint64_t> w = {5, 10, 3, 8, 7, 4};  // selection order
        const std::vector<int> part = shardAssignment(w, 2);
        QCOMPARE(part, (std::vector<int>{0, 0, 1, 1, 1, 0}));
        QCOMPARE(shardPart(w, {1, 2}), (std::vector<size_t>{0, 1, 5}));
        QCOMPARE(shardPart(w, {2, 2}), (std::vector<size_t>{2, 3, 4}));
        // equal sizes: ties by selection order, round robin
        QCOMPARE(shardAssignment({1, 1, 1, 1, 1}, 3), (std::vector<int>{0, 1, 2, 0, 1}));
        // one part takes everything; more parts than items leaves parts empty
        QCOMPARE(shardAssignment(w, 1), std::vector<int>(6, 0));
        QCOMPARE(shardAssignment({4, 2}, 3), (std::vector<int>{0, 1}));
        QVERIFY(shardPart({4, 2}, {3, 3}).empty());
        // the same input always gives the same split
        std::mt19937_64 rng(7);
        std::vector<uint64_t> big(5000);
        for (auto& x : big) x = rng() % (1u << 26);
        QCOMPARE(shardAssignment(big, 8), shardAssignment(big, 8));
    }

    void splitCoversAndBalances()
    {
        // A DeepSeek-like mix: many equal experts, a few huge embeddings, small norms.
        std::vector<uint64_t> w;
        for (int i = 0; i < 2; ++i) w.push_back(129280ull * 7168 * 2);
        for (int l = 0; l < 61; ++l) {
            for (int e = 0; e < 32; ++e) w.push_back(2048ull * 7168);
            w.push_back(7168 * 2);
            w.push_back(1536ull * 7168);
        }
        for (int n : {2, 3, 8, 16}) {
            const std::vector<int> part = shardAssignment(w, n);
            std::vector<uint64_t> load(size_t(n), 0);
            std::vector<int> seen(w.size(), 0);
            for (int k = 1; k <= n; ++k)
                for (size_t i : shardPart(w, {k, n})) seen[i]++, load[size_t(k - 1)] += w[i];
            QVERIFY(std::all_of(seen.begin(), seen.end(), [](int s) { return s == 1; }));  // every item once
            const uint64_t total = std::accumulate(w.begin(), w.end(), uint64_t(0));
            const uint64_t maxItem = *std::max_element(w.begin(), w.end());
            const auto [lo, hi] = std::minmax_element(load.begin(), load.end());
            // LPT: no part exceeds the mean by more than the largest item, and here the
            // parts are within 1 %.
            QVERIFY(*hi <= total / uint64_t(n) + maxItem);
            QVERIFY2(double(*hi - *lo) / double(*hi) < 0.01, qPrintable(QString::number(double(*hi - *lo) / double(*hi))));
        }
    }

    void fingerprintSeparatesFields()
    {
        QCOMPARE(fingerprint({"ab", "c"}).size(), size_t(16));
        QVERIFY(fingerprint({"ab", "c"}) != fingerprint({"a", "bc"}));
        QCOMPARE(fingerprint({"x"}), fingerprint({"x"}));
    }
};

QTEST_APPLESS_MAIN(TestShard)
#include "test_shard.moc"
