// Deterministic mutation test: a valid 2-shard model (+ index + config) is damaged
// 3000 times with seeded random edits of the header bytes, header lengths, numbers in
// the headers, the index JSON and the config; every variant is opened and every tensor
// read. Nothing may crash or read out of bounds (the suite also runs under ASan/UBSan);
// every failure must be an Error with a message naming one of the model's files.
#include "io/model.h"
#include "io_test_util.h"

#include <QTest>

#include <nlohmann/json.hpp>

#include <random>
#include <string>

using namespace qs;
using namespace qs::test;

namespace {

const QString kShard1 = QStringLiteral("model-00001-of-00002.safetensors");
const QString kShard2 = QStringLiteral("model-00002-of-00002.safetensors");
const QString kIndex = QStringLiteral("model.safetensors.index.json");
const QString kConfig = QStringLiteral("config.json");
constexpr uint32_t kIterations = 20000;

std::vector<uint8_t> codes(size_t n, uint8_t salt)
{
    std::vector<uint8_t> c(n);
    for (size_t i = 0; i < n; ++i) c[i] = uint8_t((i * 37 + salt) & 0xFF);
    return c;
}

MemoryProvider baseModel()
{
    MemoryProvider p;
    p.files[kShard1] = safetensorsBytes(
        {{"model.layers.0.q.weight_scale_inv", DType::F32, {2, 1}, floatsAs(DType::F32, {0.5f, 0.25f})},
         {"model.layers.0.norm.weight", DType::F32, {8}, floatsAs(DType::F32, ramp(8))},
         {"model.embed.weight", DType::BF16, {6, 5}, floatsAs(DType::BF16, ramp(30))},
         {"model.layers.0.o.weight", DType::F16, {3, 4}, floatsAs(DType::F16, ramp(12))},
         {"model.layers.0.q.weight", DType::F8_E4M3, {130, 3}, codes(390, 1)},
         {"model.layers.0.ids", DType::I8, {4}, {1, 2, 0xFF, 0x80}}},
        {{"format", "pt"}});
    p.files[kShard2] = safetensorsBytes(
        {{"model.layers.1.e.weight_scale_inv", DType::F8_E8M0, {2, 1, 1}, {126, 128}},
         {"model.layers.1.e.weight", DType::F8_E4M3, {2, 3, 4}, codes(24, 9)},
         {"model.layers.1.s", DType::F32, {}, floatsAs(DType::F32, {3.0f})},
         {"model.layers.1.hidden", DType::BF16, {2}, floatsAs(DType::BF16, {1.0f, 2.0f})},
         {"lm_head.weight", DType::BF16, {4, 5}, floatsAs(DType::BF16, ramp(20))}});
    p.put(kIndex, "{\"metadata\": {\"total_size\": 2000}, \"weight_map\": {"
                  "\"model.layers.0.q.weight_scale_inv\": \"model-00001-of-00002.safetensors\", "
                  "\"model.layers.0.norm.weight\": \"model-00001-of-00002.safetensors\", "
                  "\"model.embed.weight\": \"model-00001-of-00002.safetensors\", "
                  "\"model.layers.0.o.weight\": \"model-00001-of-00002.safetensors\", "
                  "\"model.layers.0.q.weight\": \"model-00001-of-00002.safetensors\", "
                  "\"model.layers.0.ids\": \"model-00001-of-00002.safetensors\", "
                  "\"model.layers.1.e.weight_scale_inv\": \"model-00002-of-00002.safetensors\", "
                  "\"model.layers.1.e.weight\": \"model-00002-of-00002.safetensors\", "
                  "\"model.layers.1.s\": \"model-00002-of-00002.safetensors\", "
                  "\"lm_head.weight\": \"model-00002-of-00002.safetensors\"}}");
    p.put(kConfig, "{\"model_type\": \"deepseek_v3\", \"quantization_config\": {\"quant_method\": \"fp8\", "
                   "\"weight_block_size\": [128, 128]}}");
    return p;
}

class Mutator {
public:
    explicit Mutator(uint32_t seed) : m_rng(seed) {}
    uint32_t below(uint32_t n) { return n ? m_rng() % n : 0; }
    bool coin() { return m_rng() & 1; }

    uint8_t interestingByte()
    {
        static const uint8_t b[] = {'{', '}', '[', ']', '"', ',', ':', '-', '.', 'e', '0', '9', ' ', '\\',
                                    0x00, 0xFF, 0xC3, 0xE2, 0x80, 'F', '8', '_'};
        return coin() ? b[below(sizeof b)] : uint8_t(m_rng());
    }
    std::string interestingNumber()
    {
        static const char* n[] = {"0", "1", "-1", "7", "255", "4096", "2147483648", "4294967296",
                                  "9007199254740993", "9223372036854775807", "9223372036854775808",
                                  "18446744073709551615", "18446744073709551616", "1e400", "3.5", "-0",
                                  "99999999999999999999999", "128", "2", "129", "1.0"};
        return n[below(sizeof n / sizeof *n)];
    }

    // Mutates one shard image.
    void shard(std::vector<uint8_t>& f)
    {
        uint64_t n = 0;
        for (int i = 7; i >= 0 && f.size() >= 8; --i) n = (n << 8) | f[size_t(i)];
        const size_t headerEnd = size_t(std::min<uint64_t>(f.size(), 8 + std::min<uint64_t>(n, f.size())));
        switch (below(9)) {
        case 6:
        case 7:
        case 8:  // semantic edit of one entry (often still a valid file)
            semantic(f, n, headerEnd);
            break;
        case 0:  // byte flips in the length prefix + header
            for (uint32_t k = 0, cnt = 1 + below(3); k < cnt && headerEnd > 0; ++k) {
                const size_t at = below(uint32_t(headerEnd));
                f[at] = coin() ? uint8_t(f[at] ^ (1u << below(8))) : interestingByte();
            }
            break;
        case 1: {  // header length changes
            uint64_t m;
            switch (below(4)) {
            case 0: m = n + below(33) - 16; break;
            case 1: m = uint64_t(m_rng()) << below(40); break;
            case 2: m = f.size() - 8 + below(3); break;
            default: m = uint64_t(below(3)); break;
            }
            for (int i = 0; i < 8 && f.size() >= 8; ++i) f[size_t(i)] = uint8_t(m >> (8 * i));
            break;
        }
        case 2:  // truncation
            f.resize(below(uint32_t(f.size())));
            break;
        case 3: {  // insertion into the header (length adjusted or not)
            if (headerEnd <= 8) break;
            const size_t at = 8 + below(uint32_t(headerEnd - 8));
            const uint32_t cnt = 1 + below(4);
            for (uint32_t k = 0; k < cnt; ++k) f.insert(f.begin() + std::ptrdiff_t(at), interestingByte());
            if (coin()) setLength(f, n + cnt);
            break;
        }
        case 4:  // replace a number in the JSON, re-lengthed (semantic validation)
            replaceNumber(f, n, headerEnd);
            break;
        default: {  // replace a string value (dtype / name) in the JSON
            static const char* s[] = {"\"F4\"", "\"Q7\"", "\"\"", "\"F8_E4M3\"", "\"F32\"", "\"BF16\"", "\"U8\"",
                                      "\"model.layers.0.q.weight\"", "\"__metadata__\"", "5", "[]", "{}"};
            replaceToken(f, n, headerEnd, '"', s[below(sizeof s / sizeof *s)]);
            break;
        }
        }
    }

    void text(std::vector<uint8_t>& f)
    {
        switch (below(5)) {
        case 0:
            for (uint32_t k = 0, cnt = 1 + below(3); k < cnt && !f.empty(); ++k) f[below(uint32_t(f.size()))] = interestingByte();
            break;
        case 1:
            f.resize(below(uint32_t(f.size())));
            break;
        case 2:
            if (!f.empty()) f.insert(f.begin() + below(uint32_t(f.size())), interestingByte());
            break;
        case 3:
            replaceNumber(f, uint64_t(-1), f.size(), /*relength=*/false);
            break;
        default: {
            static const char* s[] = {"\"../x.safetensors\"", "\"/abs.safetensors\"", "\"http://h/x.safetensors\"",
                                      "\"model-00002-of-00002.safetensors\"", "\"model-00001-of-00002.safetensors\"",
                                      "\"nope.safetensors\"", "\"\"", "\"x\\\\y.safetensors\"", "\"model.layers.1.hidden\"",
                                      "[128]", "[0, 128]", "[1, 1]", "null", "7"};
            replaceToken(f, uint64_t(-1), f.size(), '"', s[below(sizeof s / sizeof *s)], false);
            break;
        }
        }
    }

private:
    // Parses the header, changes one tensor's dtype (same size), shape (same numel),
    // offsets (swap or shift) or a dim, and writes it back with a fixed length.
    void semantic(std::vector<uint8_t>& f, uint64_t n, size_t headerEnd)
    {
        if (headerEnd <= 8 || headerEnd - 8 != n) return;
        nlohmann::json h = nlohmann::json::parse(f.begin() + 8, f.begin() + std::ptrdiff_t(headerEnd), nullptr, false);
        if (!h.is_object() || h.empty()) return;
        std::vector<std::string> keys;
        for (auto it = h.begin(); it != h.end(); ++it)
            if (it.key() != "__metadata__" && it.value().is_object()) keys.push_back(it.key());
        if (keys.empty()) return;
        nlohmann::json& t = h[keys[below(uint32_t(keys.size()))]];
        switch (below(5)) {
        case 0: {  // dtype of the same size
            static const char* one[] = {"F8_E4M3", "F8_E5M2", "F8_E8M0", "I8", "U8", "BOOL", "F8_E4M3FNUZ"};
            static const char* two[] = {"BF16", "F16", "I16", "U16"};
            static const char* four[] = {"F32", "I32", "U32"};
            const std::string d = t.value("dtype", "");
            if (d == "F32" || d == "I32") t["dtype"] = four[below(3)];
            else if (d == "BF16" || d == "F16") t["dtype"] = two[below(4)];
            else t["dtype"] = one[below(7)];
            break;
        }
        case 1: {  // reshape keeping numel: [numel], [1, numel], or a dim moved
            int64_t numel = 1;
            if (!t.contains("shape") || !t["shape"].is_array()) return;
            for (auto& d : t["shape"])
                if (d.is_number_integer()) numel *= d.get<int64_t>();
            switch (below(3)) {
            case 0: t["shape"] = {numel}; break;
            case 1: t["shape"] = {1, numel}; break;
            default: t["shape"] = nlohmann::json::array(); if (numel == 1) break; t["shape"] = {numel, 1}; break;
            }
            break;
        }
        case 2: {  // swap data_offsets with another entry
            nlohmann::json& u = h[keys[below(uint32_t(keys.size()))]];
            std::swap(t["data_offsets"], u["data_offsets"]);
            break;
        }
        case 3: {  // shift offsets
            if (!t.contains("data_offsets") || !t["data_offsets"].is_array() || t["data_offsets"].size() != 2) return;
            const int64_t d = int64_t(below(9)) - 4;
            for (auto& o : t["data_offsets"])
                if (o.is_number_integer()) o = o.get<int64_t>() + d;
            break;
        }
        default:  // change one dim
            if (!t.contains("shape") || !t["shape"].is_array() || t["shape"].empty()) return;
            t["shape"][below(uint32_t(t["shape"].size()))] = int64_t(below(300));
            break;
        }
        std::string text = h.dump();
        while ((8 + text.size()) % 8) text.push_back(' ');
        std::vector<uint8_t> out(8);
        const uint64_t len = text.size();
        for (int i = 0; i < 8; ++i) out[size_t(i)] = uint8_t(len >> (8 * i));
        out.insert(out.end(), text.begin(), text.end());
        out.insert(out.end(), f.begin() + std::ptrdiff_t(headerEnd), f.end());
        f = std::move(out);
    }

    static void setLength(std::vector<uint8_t>& f, uint64_t n)
    {
        for (int i = 0; i < 8 && f.size() >= 8; ++i) f[size_t(i)] = uint8_t(n >> (8 * i));
    }

    // Replaces the byte range [a, b) of the header (or text) and fixes the length prefix.
    void splice(std::vector<uint8_t>& f, uint64_t n, size_t a, size_t b, const std::string& with, bool relength)
    {
        f.erase(f.begin() + std::ptrdiff_t(a), f.begin() + std::ptrdiff_t(b));
        f.insert(f.begin() + std::ptrdiff_t(a), with.begin(), with.end());
        if (relength) setLength(f, n - (b - a) + with.size());
    }

    void replaceNumber(std::vector<uint8_t>& f, uint64_t n, size_t end, bool relength = true)
    {
        const size_t begin = relength ? 8 : 0;
        std::vector<std::pair<size_t, size_t>> runs;
        for (size_t i = begin; i < end;) {
            if (f[i] >= '0' && f[i] <= '9') {
                size_t j = i;
                while (j < end && f[j] >= '0' && f[j] <= '9') ++j;
                runs.emplace_back(i, j);
                i = j;
            } else {
                ++i;
            }
        }
        if (runs.empty()) return;
        const auto [a, b] = runs[below(uint32_t(runs.size()))];
        splice(f, n, a, b, interestingNumber(), relength);
    }

    void replaceToken(std::vector<uint8_t>& f, uint64_t n, size_t end, char quote, const std::string& with,
                      bool relength = true)
    {
        const size_t begin = relength ? 8 : 0;
        std::vector<std::pair<size_t, size_t>> strs;
        for (size_t i = begin; i < end; ++i) {
            if (f[i] != uint8_t(quote)) continue;
            size_t j = i + 1;
            while (j < end && f[j] != uint8_t(quote)) ++j;
            if (j >= end) break;
            strs.emplace_back(i, j + 1);
            i = j;
        }
        if (strs.empty()) return;
        const auto [a, b] = strs[below(uint32_t(strs.size()))];
        splice(f, n, a, b, with, relength);
    }

    std::mt19937 m_rng;
};

bool namesAFile(const std::string& msg)
{
    for (const QString& f : {kShard1, kShard2, kIndex, kConfig})
        if (msg.find(f.toStdString()) != std::string::npos) return true;
    return false;
}

} // namespace

class TestMutation : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void baseModelIsValid()
    {
        auto p = std::make_shared<MemoryProvider>(baseModel());
        auto m = Model::open(p);
        QVERIFY2(m.ok(), m.ok() ? "" : m.error().message.c_str());
        QCOMPARE((*m)->tensors().size(), size_t(10));
        QCOMPARE((*m)->find("model.layers.0.q.weight")->scaleInvName, std::string("model.layers.0.q.weight_scale_inv"));
        QCOMPARE((*m)->find("model.layers.1.e.weight")->scaleInvName, std::string("model.layers.1.e.weight_scale_inv"));
        for (const auto& t : (*m)->tensors()) {
            auto r = (*m)->reader(t.name);
            QVERIFY2(r.ok(), t.name.c_str());
        }
    }

    void thousandsOfMutations()
    {
        const MemoryProvider base = baseModel();
        const QString targets[] = {kShard1, kShard2, kIndex, kConfig};
        int opened = 0, failed = 0, readFailures = 0;
        for (uint32_t iter = 0; iter < kIterations; ++iter) {
            Mutator mut(0x5EED0000u + iter);
            auto p = std::make_shared<MemoryProvider>(base);
            p->remote = (iter % 3) == 0;
            const uint32_t edits = 1 + (mut.below(4) == 0);
            for (uint32_t e = 0; e < edits; ++e) {
                // Mostly shard headers, then the index, sometimes config.json.
                const uint32_t pick = mut.below(10);
                const QString& target = pick < 6 ? targets[pick % 2] : pick < 9 ? targets[2] : targets[3];
                auto& bytes = p->files[target];
                if (target.endsWith(".safetensors"))
                    mut.shard(bytes);
                else
                    mut.text(bytes);
            }
            auto m = Model::open(p);
            if (!m.ok()) {
                ++failed;
                const std::string& msg = m.error().message;
                if (msg.empty() || !namesAFile(msg))
                    QFAIL(qPrintable(QString("iteration %1: error without a file name: \"%2\"").arg(iter).arg(QString::fromStdString(msg))));
                QVERIFY(m.error().exitCode == 2);
                if (qEnvironmentVariableIsSet("QS_MUTATION_VERBOSE")) qInfo("%s", msg.c_str());
                continue;
            }
            ++opened;
            for (const auto& t : (*m)->tensors()) {
                auto r = (*m)->reader(t.name);
                if (!r.ok()) {
                    ++readFailures;
                    const std::string& msg = r.error().message;
                    if (msg.empty() || !namesAFile(msg))
                        QFAIL(qPrintable(QString("iteration %1: read error without a file name: \"%2\"").arg(iter).arg(QString::fromStdString(msg))));
                    continue;
                }
                const auto all = (*r)->readAll();
                QCOMPARE(int64_t(all.size()), (*r)->numel());
                if (!all.empty() && (*r)->rows() > 1) {  // a partial window too
                    std::vector<float> row(size_t((*r)->cols()));
                    (*r)->readRows((*r)->rows() - 1, (*r)->rows(), row.data());
                    QVERIFY(std::memcmp(row.data(), all.data() + all.size() - row.size(), row.size() * 4) == 0);
                }
            }
        }
        qInfo("%u mutations: %d opened, %d refused, %d tensor reads refused", kIterations, opened, failed, readFailures);
        // Not vacuous: both outcomes occur in quantity.
        QVERIFY(failed > int(kIterations) / 3);
        QVERIFY(opened > int(kIterations) / 20);
    }
};

QTEST_GUILESS_MAIN(TestMutation)
#include "test_mutation.moc"
