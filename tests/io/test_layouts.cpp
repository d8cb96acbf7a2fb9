// Quantized checkpoint layouts (issue #10, docs/CHECKPOINTS.md): small checkpoints
// packed by the rules of the docs, read back bit for bit; worked examples of the docs as
// literal values; the fast path against the scalar reference; malformed layouts.
#include "io/layouts/layout.h"
#include "io/model.h"
#include "io/selection.h"
#include "io_test_util.h"

#include <QTest>

#include <cmath>
#include <limits>
#include <random>

using namespace qs;
using namespace qs::test;

namespace {

// JSON written with single quotes (keeps moc's tokenizer away from raw strings).
std::string js(std::string s)
{
    for (char& c : s)
        if (c == '\'') c = '"';
    return s;
}

std::vector<uint8_t> u32Bytes(const std::vector<uint32_t>& w)
{
    std::vector<uint8_t> out;
    for (uint32_t v : w)
        for (int i = 0; i < 4; ++i) out.push_back(uint8_t(v >> (8 * i)));
    return out;
}

std::vector<uint8_t> f16Bytes(const std::vector<uint16_t>& h)
{
    std::vector<uint8_t> out;
    for (uint16_t v : h) {
        out.push_back(uint8_t(v));
        out.push_back(uint8_t(v >> 8));
    }
    return out;
}

std::shared_ptr<MemoryProvider> checkpoint(const std::string& config, const std::vector<RawTensor>& tensors)
{
    auto p = std::make_shared<MemoryProvider>();
    p->put(QStringLiteral("config.json"), config);
    p->files[QStringLiteral("model.safetensors")] = safetensorsBytes(tensors);
    return p;
}

std::shared_ptr<Model> openOk(const std::shared_ptr<MemoryProvider>& p)
{
    auto m = Model::open(p);
    if (!m) qWarning("%s", m.error().message.c_str());
    return m ? *m : nullptr;
}

std::string openError(const std::shared_ptr<MemoryProvider>& p)
{
    auto m = Model::open(p);
    return m ? std::string() : m.error().message;
}

bool sameBits(float a, float b) { return bitsOf(a) == bitsOf(b); }

// The fast path (readRows and a partial readBlock) equals the reference everywhere.
void checkFastEqualsReference(const Model& m, const std::string& name)
{
    auto r = m.reader(name);
    QVERIFY2(r.ok(), r ? "" : r.error().message.c_str());
    auto* lr = dynamic_cast<const layouts::LayoutReader*>(r->get());
    QVERIFY(lr);
    const auto all = lr->readAll();
    const int64_t rows = lr->rows(), cols = lr->cols();
    for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j)
            if (!sameBits(all[size_t(i * cols + j)], lr->referenceAt(i, j)))
                QFAIL(qPrintable(QString("%1 [%2, %3]: fast %4, reference %5").arg(QString::fromStdString(name))
                                     .arg(i).arg(j).arg(all[size_t(i * cols + j)]).arg(lr->referenceAt(i, j))));
    const int64_t c0 = cols / 3, c1 = cols - 1;
    std::vector<float> part(size_t(rows * (c1 - c0)));
    lr->readBlock(0, rows, c0, c1, part.data());
    for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = c0; j < c1; ++j) QVERIFY(sameBits(part[size_t(i * (c1 - c0) + j - c0)], lr->referenceAt(i, j)));
}

// compressed-tensors pack_to_int32 (docs §2a): offset binary, fields along the row.
std::vector<uint32_t> ctPack(const std::vector<std::vector<int>>& q, int bits)
{
    const int per = 32 / bits;
    std::vector<uint32_t> out;
    for (const auto& row : q) {
        const size_t words = (row.size() + size_t(per) - 1) / size_t(per);
        for (size_t w = 0; w < words; ++w) {
            uint32_t v = 0;
            for (int i = 0; i < per && w * size_t(per) + size_t(i) < row.size(); ++i)
                v |= uint32_t(row[w * size_t(per) + size_t(i)] + (1 << (bits - 1))) << (bits * i);
            out.push_back(v);
        }
    }
    return out;
}

const std::string kCtConfig(bool symmetric, int group)
{
    return std::string(js("{'quantization_config': {'quant_method': 'compressed-tensors', 'format': 'pack-quantized', 'config_groups': {'group_0': {'targets': ['Linear'], 'weights': {'num_bits': 4, 'type': 'int', 'symmetric': ")) +
           (symmetric ? "true" : "false") + js(", 'strategy': 'group', 'group_size': ") + std::to_string(group) + "}}}}}";
}

} // namespace

class TestLayouts : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // docs §1 worked example + edge cases: -0.0 for code 8, scale 0 (2^-127), 255 = NaN.
    void mxfp4GptOss()
    {
        // blocks [E=1, R=2, G=2, 16], scales [1, 2, 2] -> logical [1, 2, 64]
        std::vector<uint8_t> blocks(64, 0), scales{0x81, 0xFF, 0x00, 0x7F};
        blocks[0] = 0x9F;  // block (0,0): -6, -0.5  x4 -> -24, -2
        blocks[1] = 0x80;  // +0, -0.0
        blocks[16] = 0x12; // block (0,1), scale 255 -> NaN whatever the codes
        blocks[32] = 0x71; // block (1,0), scale 0: 0.5 * 2^-127, 6 * 2^-127
        for (int i = 0; i < 16; ++i) blocks[size_t(48 + i)] = uint8_t(i * 17);  // block (1,1): codes i, i
        auto p = checkpoint(js("{'quantization_config': {'quant_method': 'mxfp4', 'modules_to_not_convert': ['router']}}"),
                            {{"model.layers.0.mlp.experts.gate_up_proj_blocks", DType::U8, {1, 2, 2, 16}, blocks},
                             {"model.layers.0.mlp.experts.gate_up_proj_scales", DType::U8, {1, 2, 2}, scales},
                             {"model.layers.0.mlp.router.weight", DType::F32, {2, 2}, floatsAs(DType::F32, {1, 2, 3, 4})},
                             {"model.layers.0.mlp.router.bias", DType::F32, {2}, floatsAs(DType::F32, {1, 2})}});
        auto m = openOk(p);
        QVERIFY(m);
        const std::string name = "model.layers.0.mlp.experts.gate_up_proj";
        QCOMPARE(m->tensorNames(), (std::vector<std::string>{name, "model.layers.0.mlp.router.bias",
                                                             "model.layers.0.mlp.router.weight"}));
        QCOMPARE(m->storedParts().size(), size_t(2));
        QVERIFY(m->findStored(name + "_blocks"));
        const TensorInfo* t = m->find(name);
        QCOMPARE(t->shape, (std::vector<int64_t>{1, 2, 64}));
        QCOMPARE(t->dtypeName, std::string("mxfp4 (gpt-oss)"));
        QCOMPARE(t->byteLength, uint64_t(64 + 4));
        // The default selection picks the experts though their name lacks "weight".
        auto sel = selectTensors(m->tensorNames(), std::vector<std::string>{}, std::string(), 0, false,
                                 &m->layoutTensorNames());
        QVERIFY(sel.ok());
        QCOMPARE(*sel, (std::vector<std::string>{name, "model.layers.0.mlp.router.weight"}));

        auto r = m->reader(name);
        QVERIFY(r.ok());
        const auto v = (*r)->readAll();
        QCOMPARE(v.size(), size_t(128));
        QCOMPARE(v[0], -24.0f);
        QCOMPARE(v[1], -2.0f);
        QVERIFY(sameBits(v[2], 0.0f));
        QVERIFY(sameBits(v[3], -0.0f));
        QCOMPARE(v[4], 0.0f);
        for (int j = 32; j < 64; ++j) QVERIFY(std::isnan(v[size_t(j)]));
        QVERIFY(sameBits(v[64], std::ldexp(1.0f, -128)));
        QVERIFY(sameBits(v[65], std::ldexp(6.0f, -127)));
        // block (1,1), scale 1: byte i*17 holds code i twice -> E2M1(i), E2M1(i)
        const float e2m1[16] = {0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0f, -0.5, -1, -1.5, -2, -3, -4, -6};
        for (int i = 0; i < 16; ++i) {
            QVERIFY(sameBits(v[size_t(96 + 2 * i)], e2m1[i]));
            QVERIFY(sameBits(v[size_t(96 + 2 * i + 1)], e2m1[i]));
        }
        checkFastEqualsReference(*m, name);
    }

    void mxfp4Random()
    {
        std::mt19937 rng(10);
        std::vector<uint8_t> blocks(3 * 5 * 4 * 16), scales(3 * 5 * 4);
        for (auto& b : blocks) b = uint8_t(rng());
        for (auto& s : scales) s = uint8_t(rng());
        scales[7] = 255;
        scales[8] = 0;
        auto p = checkpoint(js("{'quantization_config': {'quant_method': 'mxfp4'}}"),
                            {{"e.down_proj_blocks", DType::U8, {3, 5, 4, 16}, blocks},
                             {"e.down_proj_scales", DType::U8, {3, 5, 4}, scales}});
        auto m = openOk(p);
        QVERIFY(m);
        checkFastEqualsReference(*m, "e.down_proj");
    }

    void mxfp4Malformed()
    {
        const std::string cfg = js("{'quantization_config': {'quant_method': 'mxfp4'}}");
        std::string e = openError(checkpoint(cfg, {{"x.w_blocks", DType::U8, {2, 1, 16}, std::vector<uint8_t>(32)}}));
        QVERIFY2(e.find("\"x.w_blocks\"") != std::string::npos && e.find("x.w_scales") != std::string::npos, e.c_str());
        e = openError(checkpoint(cfg, {{"x.w_blocks", DType::U8, {2, 1, 16}, std::vector<uint8_t>(32)},
                                       {"x.w_scales", DType::U8, {2, 2}, std::vector<uint8_t>(4)}}));
        QVERIFY2(e.find("\"x.w_scales\" has shape [2, 2]") != std::string::npos && e.find("[2, 1]") != std::string::npos,
                 e.c_str());
        e = openError(checkpoint(cfg, {{"x.w_blocks", DType::U8, {2, 1, 15}, std::vector<uint8_t>(30)},
                                       {"x.w_scales", DType::U8, {2, 1}, std::vector<uint8_t>(2)}}));
        QVERIFY2(e.find("[..., R, G, 16]") != std::string::npos, e.c_str());
        e = openError(checkpoint(cfg, {{"x.w_scales", DType::U8, {2, 1}, std::vector<uint8_t>(2)}}));
        QVERIFY2(e.find("\"x.w_scales\" is an MXFP4 scale part") != std::string::npos && e.find("x.w_blocks") != std::string::npos, e.c_str());
    }

    // docs §2a worked example; asymmetric, negative zero points, ragged last group.
    void ctPackQuantized()
    {
        QCOMPARE(ctPack({{-8, -1, 0, 1, 2, 3, 7, -3}}, 4), (std::vector<uint32_t>{0x5FBA9870u}));
        // 3 rows x 20 columns, g = 8 -> groups of 8, 8, 4 (ragged); 3 words per row.
        std::vector<std::vector<int>> q(3, std::vector<int>(20));
        q[0] = {-8, -1, 0, 1, 2, 3, 7, -3, 5, 5, 5, 5, 5, 5, 5, 5, -8, 7, 0, -1};
        for (int r = 1; r < 3; ++r)
            for (int c = 0; c < 20; ++c) q[size_t(r)][size_t(c)] = ((r * 7 + c * 5) % 16) - 8;
        const std::vector<float> scales{0.25f, 0.5f, 2.0f, 1.0f, 0.125f, 3.0f, 0.75f, 1.5f, 0.0625f};  // [3, 3]
        // zero points [3 rows, 3 groups], packed along rows: word [0][t] holds rows 0..2.
        const int zp[3][3] = {{-2, 0, 7}, {-8, 3, -1}, {1, -5, 0}};
        std::vector<uint32_t> zpw(3, 0);
        for (int t = 0; t < 3; ++t)
            for (int r = 0; r < 3; ++r) zpw[size_t(t)] |= uint32_t(zp[r][t] + 8) << (4 * r);
        auto p = checkpoint(kCtConfig(false, 8),
                            {{"l.weight_packed", DType::I32, {3, 3}, u32Bytes(ctPack(q, 4))},
                             {"l.weight_scale", DType::F32, {3, 3}, floatsAs(DType::F32, scales)},
                             {"l.weight_zero_point", DType::I32, {1, 3}, u32Bytes(zpw)},
                             {"l.weight_shape", DType::I64, {2}, std::vector<uint8_t>{3, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0}},
                             {"l.bias", DType::F32, {3}, floatsAs(DType::F32, {0, 0, 0})}});
        auto m = openOk(p);
        QVERIFY(m);
        QCOMPARE(m->tensorNames(), (std::vector<std::string>{"l.bias", "l.weight"}));
        const TensorInfo* t = m->find("l.weight");
        QCOMPARE(t->shape, (std::vector<int64_t>{3, 20}));
        QCOMPARE(t->dtypeName, std::string("int4 g8 (compressed-tensors)"));
        auto r = m->reader("l.weight");
        QVERIFY(r.ok());
        const auto v = (*r)->readAll();
        // Row 0, first group: the docs' worked example with zero point -2.
        const std::vector<float> ex{-1.5f, 0.25f, 0.5f, 0.75f, 1.0f, 1.25f, 2.25f, -0.25f};
        for (size_t j = 0; j < 8; ++j) QCOMPARE(v[j], ex[j]);
        QCOMPARE(v[8], 2.5f);            // (5 - 0) * 0.5
        QCOMPARE(v[16], -30.0f);         // (-8 - 7) * 2, ragged group
        QCOMPARE(v[17], 0.0f);           // (7 - 7) * 2
        for (int rr = 0; rr < 3; ++rr)
            for (int c = 0; c < 20; ++c)
                QVERIFY(sameBits(v[size_t(rr * 20 + c)], float(q[size_t(rr)][size_t(c)] - zp[rr][c / 8]) * scales[size_t(rr * 3 + c / 8)]));
        checkFastEqualsReference(*m, "l.weight");
    }

    void ctPackQuantizedSymmetricChannel()
    {
        std::vector<std::vector<int>> q{{1, -2, 3, -4, 5, -6, 7, -8, 0}, {0, 0, 0, 0, 0, 0, 0, 0, -1}};
        auto p = checkpoint(js("{'quantization_config': {'quant_method': 'compressed-tensors', 'config_groups': {'g': { 'format': 'pack-quantized', 'weights': {'num_bits': 4, 'symmetric': true, 'strategy': 'channel'}}}}}"),
                            {{"a.weight_packed", DType::I32, {2, 2}, u32Bytes(ctPack(q, 4))},
                             {"a.weight_scale", DType::BF16, {2, 1}, floatsAs(DType::BF16, {0.5f, 4.0f})},
                             {"a.weight_shape", DType::I32, {2}, u32Bytes({2, 9})}});
        auto m = openOk(p);
        QVERIFY(m);
        QCOMPARE(m->find("a.weight")->dtypeName, std::string("int4 per-channel (compressed-tensors)"));
        auto r = m->reader("a.weight");
        QVERIFY(r.ok());
        const auto v = (*r)->readAll();
        QCOMPARE(v[0], 0.5f);
        QCOMPARE(v[7], -4.0f);
        QCOMPARE(v[8], 0.0f);
        QCOMPARE(v[17], -4.0f);
        checkFastEqualsReference(*m, "a.weight");
    }

    // docs §3 worked example: v1 zero offset (+1, stored 15 -> 0), v2, g_idx act order.
    void gptq()
    {
        // in = 16, out = 3, g = 8 -> 2 groups. qweight [2, 3], qzeros [2, 1], scales [2, 3] F16.
        std::vector<uint32_t> qw(6, 0);
        qw[0] = 0x000000F3u;  // output 0, inputs 0..7: 3, 15, 0...
        std::mt19937 rng(3);
        for (size_t i = 1; i < 6; ++i) qw[i] = uint32_t(rng());
        // zero fields (v1 stores zero - 1): group 0: outputs 7, 15, 3; group 1: 0, 8, 14
        const std::vector<uint32_t> qz{7u | 15u << 4 | 3u << 8, 0u | 8u << 4 | 14u << 8};
        const std::vector<uint16_t> sc{0x3800, 0x3800, 0x3C00, 0x3400, 0x4000, 0x3800};  // .5 .5 1 / .25 2 .5
        const float scf[6] = {0.5f, 0.5f, 1.0f, 0.25f, 2.0f, 0.5f};
        auto make = [&](const std::string& fmt, bool gidx) {
            std::vector<RawTensor> t{{"m.qweight", DType::I32, {2, 3}, u32Bytes(qw)},
                                     {"m.qzeros", DType::I32, {2, 1}, u32Bytes(qz)},
                                     {"m.scales", DType::F16, {2, 3}, f16Bytes(sc)}};
            if (gidx) {
                std::vector<uint32_t> g(16);
                for (int k = 0; k < 16; ++k) g[size_t(k)] = uint32_t((k * 5) % 2);
                t.push_back({"m.g_idx", DType::I32, {16}, u32Bytes(g)});
            }
            return checkpoint(js("{'quantization_config': {'quant_method': 'gptq', 'bits': 4, 'group_size': 8, 'desc_act': ") + std::string(gidx ? "true" : "false") + js(", 'checkpoint_format': '") + fmt + "\"}}", t);
        };
        for (const std::string fmt : {"gptq", "gptq_v2"})
            for (bool gidx : {false, true}) {
                auto m = openOk(make(fmt, gidx));
                QVERIFY(m);
                const TensorInfo* t = m->find("m.weight");
                QVERIFY(t);
                QCOMPARE(t->shape, (std::vector<int64_t>{3, 16}));
                QCOMPARE(t->dtypeName, std::string(fmt == "gptq" ? "int4 g8 (gptq)" : "int4 g8 (gptq v2)"));
                auto r = m->reader("m.weight");
                QVERIFY(r.ok());
                const auto v = (*r)->readAll();
                const bool v1 = fmt == "gptq";
                if (v1 && !gidx) {  // the docs' worked example, output 0
                    QCOMPARE(v[0], -2.5f);
                    QCOMPARE(v[1], 3.5f);
                    QCOMPARE(v[2], -4.0f);
                }
                for (int j = 0; j < 3; ++j)
                    for (int k = 0; k < 16; ++k) {
                        const int grp = gidx ? (k * 5) % 2 : k / 8;
                        const int q = int(qw[size_t((k / 8) * 3 + j)] >> (4 * (k % 8)) & 15);
                        const int field = int(qz[size_t(grp)] >> (4 * j) & 15);
                        const int z = v1 ? (field + 1) & 15 : field;
                        QVERIFY(sameBits(v[size_t(j * 16 + k)], float(q - z) * scf[grp * 3 + j]));
                    }
                checkFastEqualsReference(*m, "m.weight");
            }
        // v1 stored zero 15 -> zero 0 (output 1, group 0): q * 0.5
        auto m = openOk(make("gptq", false));
        auto v = (*m->reader("m.weight"))->readAll();
        const int q = int(qw[1] & 15);
        QCOMPARE(v[16], float(q) * 0.5f);
    }

    // docs §4 worked example: AWQ's interleaved order.
    void awq()
    {
        // in = 4, out = 8, g = 2 -> qweight [4, 1], qzeros [2, 1], scales [2, 8]
        std::vector<uint32_t> qw{0x76543210u, 0xFEDCBA98u, 0x01234567u, 0x89ABCDEFu};
        const uint32_t z8 = 0x88888888u;
        std::vector<uint32_t> qz{z8, 0x76543210u};
        std::vector<uint16_t> sc(16, 0x3800);  // 0.5
        auto p = checkpoint(js("{'quantization_config': {'quant_method': 'awq', 'version': 'GEMM', 'bits': 4, 'group_size': 2, 'zero_point': true}}"),
                            {{"p.qweight", DType::I32, {4, 1}, u32Bytes(qw)},
                             {"p.qzeros", DType::I32, {2, 1}, u32Bytes(qz)},
                             {"p.scales", DType::F16, {2, 8}, f16Bytes(sc)}});
        auto m = openOk(p);
        QVERIFY(m);
        const TensorInfo* t = m->find("p.weight");
        QCOMPARE(t->shape, (std::vector<int64_t>{8, 4}));
        QCOMPARE(t->dtypeName, std::string("int4 g2 (awq)"));
        auto v = (*m->reader("p.weight"))->readAll();
        const float ex[8] = {-4, -2, -3.5f, -1.5f, -3, -1, -2.5f, -0.5f};  // input 0, outputs 0..7
        for (int j = 0; j < 8; ++j) QCOMPARE(v[size_t(j * 4)], ex[j]);
        // input 2 (group 1): word 0x01234567 -> outputs [7,3,6,2,5,1,4,0]; zeros [0,4,1,5,2,6,3,7]
        const int q2[8] = {7, 3, 6, 2, 5, 1, 4, 0}, z1[8] = {0, 4, 1, 5, 2, 6, 3, 7};
        for (int j = 0; j < 8; ++j) QCOMPARE(v[size_t(j * 4 + 2)], float(q2[j] - z1[j]) * 0.5f);
        checkFastEqualsReference(*m, "p.weight");
    }

    // docs §5 and §2b worked examples: the order of the scale products, the sign of zero.
    void nvfp4()
    {
        // 2 rows x 32 columns: codes U8 [2, 16], scales E4M3 [2, 2]
        std::vector<uint8_t> codes(32), scales{0x38, 0x40, 0x30, 0x7F};  // 1, 2, 0.5, NaN
        codes[0] = 0x2F;  // columns 0, 1: -6, 1
        codes[1] = 0x08;  // columns 2, 3: code 8, code 0
        std::mt19937 rng(5);
        for (size_t i = 2; i < codes.size(); ++i) codes[i] = uint8_t(rng());
        for (bool modelopt : {true, false}) {
            std::shared_ptr<MemoryProvider> p;
            const std::string w = modelopt ? "a.weight" : "a.weight_packed";
            const std::vector<RawTensor> t{{w, DType::U8, {2, 16}, codes},
                                           {"a.weight_scale", DType::F8_E4M3, {2, 2}, scales},
                                           {modelopt ? "a.weight_scale_2" : "a.weight_global_scale", DType::F32, {1},
                                            floatsAs(DType::F32, {modelopt ? 0.5f : 2.0f})},
                                           {"a.input_scale", DType::F32, {1}, floatsAs(DType::F32, {1.0f})}};
            if (modelopt) {
                p = checkpoint("{}", t);
                p->put(QStringLiteral("hf_quant_config.json"),
                       js("{'producer': {'name': 'modelopt'}, 'quantization': {'quant_algo': 'NVFP4', 'group_size': 16}}"));
            } else {
                p = checkpoint(js("{'quantization_config': {'quant_method': 'compressed-tensors', 'format': 'nvfp4-pack-quantized'}}"), t);
            }
            auto m = openOk(p);
            QVERIFY(m);
            QCOMPARE(m->tensorNames(), (std::vector<std::string>{"a.input_scale", "a.weight"}));
            const TensorInfo* info = m->find("a.weight");
            QCOMPARE(info->shape, (std::vector<int64_t>{2, 32}));
            QCOMPARE(info->dtypeName, std::string(modelopt ? "nvfp4 (modelopt)" : "nvfp4 (compressed-tensors)"));
            auto v = (*m->reader("a.weight"))->readAll();
            QCOMPARE(v[0], -3.0f);   // -6 * (1 * 0.5) or -6 * (1 / 2)
            QCOMPARE(v[1], 0.5f);
            QVERIFY(sameBits(v[2], modelopt ? 0.0f : -0.0f));  // code 8: ModelOpt +0, compressed-tensors -0
            QVERIFY(sameBits(v[3], 0.0f));
            for (int c = 48; c < 64; ++c) QVERIFY(std::isnan(v[size_t(c)]));  // E4M3 NaN scale
            checkFastEqualsReference(*m, "a.weight");
        }
        // a missing second-level scale is named
        const std::string e = openError(checkpoint(js("{'quantization_config': {'quant_method': 'modelopt', 'quant_algo': 'NVFP4'}}"),
                                                   {{"a.weight", DType::U8, {2, 16}, codes},
                                                    {"a.weight_scale", DType::F8_E4M3, {2, 2}, scales}}));
        QVERIFY2(e.find("\"a.weight_scale_2\" is missing") != std::string::npos, e.c_str());
    }

    // docs §2c: unpacked codes, scale per channel / per 2-D block (ragged), zero points.
    void ctUnpacked()
    {
        auto p = checkpoint(js("{'quantization_config': {'quant_method': 'compressed-tensors', 'format': 'float-quantized', "
                               "'config_groups': {'g': {'weights': {'num_bits': 8, 'type': 'float', 'strategy': 'channel'}}}, "
                               "'ignore': ['lm_head']}}"),
                            {{"o.weight", DType::F8_E4M3, {2, 3}, std::vector<uint8_t>{0x38, 0xB8, 0x40, 0x30, 0x00, 0x7F}},
                             {"o.weight_scale", DType::F32, {2, 1}, floatsAs(DType::F32, {0.5f, 3.0f})},
                             {"lm_head.weight", DType::BF16, {1, 2}, floatsAs(DType::BF16, {1, 2})}});
        auto m = openOk(p);
        QVERIFY(m);
        QCOMPARE(m->tensorNames(), (std::vector<std::string>{"lm_head.weight", "o.weight"}));
        QCOMPARE(m->find("o.weight")->dtypeName, std::string("fp8_e4m3 per-channel (compressed-tensors)"));
        auto v = (*m->reader("o.weight"))->readAll();
        QCOMPARE(v[0], 0.5f);
        QCOMPARE(v[1], -0.5f);
        QCOMPARE(v[2], 1.0f);
        QCOMPARE(v[3], 1.5f);
        QVERIFY(sameBits(v[4], 0.0f));
        QVERIFY(std::isnan(v[5]));
        checkFastEqualsReference(*m, "o.weight");

        // int-quantized, asymmetric 2x2 blocks over a 3x3 weight: a ragged 2x2 scale grid.
        const std::vector<uint8_t> codes{1, 2, 3, 4, 5, 6, uint8_t(-7), uint8_t(-8), 9};
        auto p2 = checkpoint(js("{'quantization_config': {'quant_method': 'compressed-tensors', 'format': 'int-quantized', "
                                "'config_groups': {'g': {'weights': {'num_bits': 8, 'type': 'int', 'symmetric': false, "
                                "'strategy': 'block', 'block_structure': [2, 2]}}}}}"),
                             {{"b.weight", DType::I8, {3, 3}, codes},
                              {"b.weight_scale", DType::F32, {2, 2}, floatsAs(DType::F32, {1, 2, 4, 8})},
                              {"b.weight_zero_point", DType::I8, {2, 2}, std::vector<uint8_t>{0, 1, uint8_t(-2), 3}}});
        auto m2 = openOk(p2);
        QVERIFY(m2);
        QCOMPARE(m2->find("b.weight")->dtypeName, std::string("int8 block 2x2 (compressed-tensors)"));
        v = (*m2->reader("b.weight"))->readAll();
        const float ex[9] = {1, 2, 4, 4, 5, 10, -20, -24, 48};  // (q - zp) * s per block
        for (int i = 0; i < 9; ++i) QCOMPARE(v[size_t(i)], ex[i]);
        checkFastEqualsReference(*m2, "b.weight");
        // a wrong scale shape names both tensors
        const std::string e = openError(checkpoint(js("{'quantization_config': {'quant_method': 'compressed-tensors', "
                                                      "'format': 'float-quantized', 'config_groups': {'g': {'weights': "
                                                      "{'strategy': 'channel'}}}}}"),
                                                   {{"o.weight", DType::F8_E4M3, {2, 3}, std::vector<uint8_t>(6)},
                                                    {"o.weight_scale", DType::F32, {3, 1}, floatsAs(DType::F32, {1, 1, 1})}}));
        QVERIFY2(e.find("\"o.weight_scale\" has dtype F32 [3, 1]; expected a float scale of [2, 1] for \"o.weight\"") !=
                     std::string::npos, e.c_str());
    }

    void malformed()
    {
        // GPTQ without its scales
        std::string e = openError(checkpoint(js("{'quantization_config': {'quant_method': 'gptq', 'bits': 4, 'group_size': 8}}"),
                                             {{"m.qweight", DType::I32, {2, 3}, u32Bytes(std::vector<uint32_t>(6))},
                                              {"m.qzeros", DType::I32, {2, 1}, u32Bytes({0, 0})}}));
        QVERIFY2(e.find("\"m.qweight\"") != std::string::npos && e.find("\"m.scales\" is missing") != std::string::npos,
                 e.c_str());
        // AWQ with a wrong scale shape
        e = openError(checkpoint(js("{'quantization_config': {'quant_method': 'awq', 'group_size': 2}}"),
                                 {{"p.qweight", DType::I32, {4, 1}, u32Bytes(std::vector<uint32_t>(4))},
                                  {"p.qzeros", DType::I32, {2, 1}, u32Bytes({0, 0})},
                                  {"p.scales", DType::F16, {1, 8}, f16Bytes(std::vector<uint16_t>(8))}}));
        QVERIFY2(e.find("\"p.scales\" has shape [1, 8]; expected [2, 8]") != std::string::npos, e.c_str());
        // compressed-tensors: packed length does not match weight_shape
        e = openError(checkpoint(kCtConfig(true, 8),
                                 {{"l.weight_packed", DType::I32, {1, 3}, u32Bytes({0, 0, 0})},
                                  {"l.weight_scale", DType::F32, {1, 4}, floatsAs(DType::F32, {1, 1, 1, 1})},
                                  {"l.weight_shape", DType::I32, {2}, u32Bytes({1, 30})}}));
        QVERIFY2(e.find("\"l.weight_packed\" has shape [1, 3] but weight_shape (1, 30)") != std::string::npos &&
                     e.find("[1, 4]") != std::string::npos,
                 e.c_str());
        // asymmetric without zero points
        e = openError(checkpoint(kCtConfig(false, 8),
                                 {{"l.weight_packed", DType::I32, {1, 1}, u32Bytes({0})},
                                  {"l.weight_scale", DType::F32, {1, 1}, floatsAs(DType::F32, {1})},
                                  {"l.weight_shape", DType::I32, {2}, u32Bytes({1, 8})}}));
        QVERIFY2(e.find("\"l.weight_zero_point\" is missing") != std::string::npos, e.c_str());
        // g_idx naming a group that does not exist: an error when the tensor is read
        std::vector<uint32_t> g(16, 0);
        g[3] = 5;
        auto m = openOk(checkpoint(js("{'quantization_config': {'quant_method': 'gptq', 'group_size': 8}}"),
                                   {{"m.qweight", DType::I32, {2, 3}, u32Bytes(std::vector<uint32_t>(6))},
                                    {"m.qzeros", DType::I32, {2, 1}, u32Bytes({0, 0})},
                                    {"m.scales", DType::F16, {2, 3}, f16Bytes(std::vector<uint16_t>(6))},
                                    {"m.g_idx", DType::I32, {16}, u32Bytes(g)}}));
        QVERIFY(m);
        auto r = m->reader("m.weight");
        QVERIFY(!r.ok());
        QVERIFY2(r.error().message.find("\"m.g_idx\" has entry 3 = group 5") != std::string::npos, r.error().message.c_str());
    }

    void unknownAndUnsupported()
    {
        const std::vector<RawTensor> t{{"w.weight", DType::F32, {1, 1}, floatsAs(DType::F32, {1})}};
        std::string e = openError(checkpoint(js("{'quantization_config': {'quant_method': 'frobnicate'}}"), t));
        QVERIFY2(e.find("quant_method \"frobnicate\" is not a known checkpoint layout") != std::string::npos, e.c_str());
        e = openError(checkpoint(js("{'quantization_config': {'quant_method': 'compressed-tensors', 'format': 'marlin-24'}}"), t));
        QVERIFY2(e.find("compressed-tensors format \"marlin-24\" is recognised but not supported") != std::string::npos,
                 e.c_str());
        e = openError(checkpoint(js("{'quantization_config': {'quant_method': 'gptq', 'bits': 3}}"), t));
        QVERIFY2(e.find("gptq with bits 3") != std::string::npos, e.c_str());
        e = openError(checkpoint(js("{'quantization_config': {'quant_method': 'awq', 'version': 'gemv'}}"), t));
        QVERIFY2(e.find("awq version \"gemv\"") != std::string::npos, e.c_str());
        auto p = checkpoint("{}", t);
        p->put(QStringLiteral("hf_quant_config.json"), js("{'quantization': {'quant_algo': 'W4A8_AWQ'}}"));
        e = openError(p);
        QVERIFY2(e.find("hf_quant_config.json: quantization.quant_algo \"W4A8_AWQ\" (NVIDIA ModelOpt) is recognised but not supported")
                     != std::string::npos, e.c_str());
        // compressed-tensors dense and fp8 keep today's behaviour
        QVERIFY(openOk(checkpoint(js("{'quantization_config': {'quant_method': 'compressed-tensors', 'format': 'dense'}}"), t)));
        QVERIFY(openOk(checkpoint(js("{'quantization_config': {'quant_method': 'fp8', 'weight_block_size': [128, 128]}}"), t)));
    }
};

QTEST_GUILESS_MAIN(TestLayouts)
#include "test_layouts.moc"
