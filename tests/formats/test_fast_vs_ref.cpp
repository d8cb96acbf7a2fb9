// Every registry row: the fast kernel equals the scalar reference bit for bit (NaN
// payloads included) on millions of deterministic random bit patterns (NaN, Inf,
// subnormals, ±0, ties, near-FLT_MAX, near powers of two), on realistic weights, on
// ragged shapes, and for each option that changes the arithmetic.
#include <QTest>

#include <random>

#include "format_test_util.h"

using namespace qs;
using namespace qs::test;

namespace {

struct Variant {
    std::string label;
    FormatOptions opt;
};

// Every value of every option the format reads (from the option table, so a new option
// or value is covered without touching this test), then combinations that change the
// arithmetic together.
std::vector<Variant> variantsFor(const Format& f)
{
    std::vector<Variant> v{{"default", {}}};
    for (const FormatOptionSpec& s : formatOptionSpecs()) {
        if (!optionApplies(s, f)) continue;
        for (size_t i = 0; i < s.values.size(); ++i) {
            FormatOptions o;
            if (i == s.get(o)) continue;
            s.set(o, i);
            v.push_back({std::string(s.name) + "=" + s.values[i], o});
        }
    }
    const std::string_view n = f.name;
    auto add = [&](const char* label, auto mutate) {
        FormatOptions o;
        mutate(o);
        v.push_back({label, o});
    };
    if (n.starts_with("mxfp") && !n.ends_with("proxy")) {
        add("rceil+away", [](FormatOptions& o) { o.mxScale = MxScaleRule::Rceil; o.elemRounding = ElemRounding::Away; });
        add("microxcaling+rne", [](FormatOptions& o) { o.mxConvention = MxConvention::Microxcaling; o.elemRounding = ElemRounding::Rne; });
        add("torchao+even", [](FormatOptions& o) { o.mxConvention = MxConvention::TorchAo; o.mxScale = MxScaleRule::Even; });
        add("torchao+rceil", [](FormatOptions& o) { o.mxConvention = MxConvention::TorchAo; o.mxScale = MxScaleRule::Rceil; });
    }
    if (n == "nvfp4") {
        add("2d+away", [](FormatOptions& o) {
            o.nv2dBlocks = true;
            o.elemRounding = ElemRounding::Away;
        });
        for (NvConvention c : {NvConvention::Te, NvConvention::TorchAo, NvConvention::ModelOpt, NvConvention::ModelOptLegacy}) {
            FormatOptions o;
            o.nvConvention = c;
            o.nv2dBlocks = true;
            v.push_back({"2d+convention" + std::to_string(int(c)), o});
        }
    }
    if (n == "fp8_e4m3" || n == "fp8_e5m2") {
        add("block128+nonsat", [](FormatOptions& o) {
            o.fp8Scaling = Fp8Scaling::Block128;
            o.fp8Saturate = false;
        });
        add("pertensor+away", [](FormatOptions& o) {
            o.fp8Scaling = Fp8Scaling::PerTensor;
            o.elemRounding = ElemRounding::Away;
        });
    }
    for (const Variant& x : v)
        if (!formatOptionConflict(x.opt).empty()) qFatal("variant %s conflicts", x.label.c_str());
    return v;
}

// Strict comparison: identical bit patterns, NaN payloads included.
QString strictCompare(const std::vector<float>& a, const std::vector<float>& b, const std::vector<float>& in)
{
    for (size_t i = 0; i < a.size(); ++i)
        if (floatToBits(a[i]) != floatToBits(b[i]))
            return QStringLiteral("index %1: input 0x%2 reference 0x%3 fast 0x%4")
                .arg(i)
                .arg(floatToBits(in[i]), 8, 16, QLatin1Char('0'))
                .arg(floatToBits(a[i]), 8, 16, QLatin1Char('0'))
                .arg(floatToBits(b[i]), 8, 16, QLatin1Char('0'));
    return QString();
}

std::vector<float> normalWeights(size_t n, uint64_t seed, float sigma)
{
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> dist(0.0f, sigma);
    std::vector<float> v(n);
    for (float& x : v)
        x = dist(rng);
    return v;
}

} // namespace

class TestFastVsRef : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void randomBits_data();
    void randomBits();
    void weights_data() { randomBits_data(); }
    void weights();
    void inPlace();
};

void TestFastVsRef::randomBits_data()
{
    QTest::addColumn<QString>("format");
    QTest::addColumn<int>("variant");
    for (const Format& f : formats()) {
        const auto vs = variantsFor(f);
        for (size_t i = 0; i < vs.size(); ++i)
            QTest::addRow("%s/%s", f.name.data(), vs[i].label.c_str()) << QString::fromLatin1(f.name) << int(i);
    }
}

void TestFastVsRef::randomBits()
{
    QFETCH(QString, format);
    QFETCH(int, variant);
    const Format& f = fmt(qPrintable(format));
    const FormatOptions opt = variantsFor(f)[size_t(variant)].opt;
    // Several shapes: ragged widths (tails of 16/32 blocks), rows not multiple of 16/128.
    struct Shape { int64_t rows, cols; size_t rebase; };
    const Shape shapes[] = {{1024, 512, 16}, {300, 200, 37}, {37, 1000, 7}, {1, 4099, 100000}, {129, 33, 64}};
    uint64_t seed = 0x5EED0000 + uint64_t(variant);
    for (const Shape& s : shapes) {
        BitSource src(seed++);
        const std::vector<float> in = src.floats(size_t(s.rows * s.cols), s.rebase);
        // The tensor's own context (random bits hold NaN and Inf, which the stacks' tensor
        // scales see), and the finite-only one so that their element paths run too.
        for (ContextMode mode : {ContextMode::Whole, ContextMode::FiniteOnly}) {
            const auto ref = runKernel(f, Path::Reference, in, s.rows, s.cols, opt, mode);
            const auto fast = runKernel(f, Path::Fast, in, s.rows, s.cols, opt, mode);
            const QString msg = strictCompare(ref, fast, in);
            QVERIFY2(msg.isEmpty(), qPrintable(QStringLiteral("%1x%2 %3: ").arg(s.rows).arg(s.cols)
                                                   .arg(mode == ContextMode::Whole ? "whole" : "finite-only") + msg));
        }
    }
}

void TestFastVsRef::weights()
{
    QFETCH(QString, format);
    QFETCH(int, variant);
    const Format& f = fmt(qPrintable(format));
    const FormatOptions opt = variantsFor(f)[size_t(variant)].opt;
    for (float sigma : {0.02f, 1.0f, 1e-30f}) {
        const auto in = normalWeights(256 * 320, 77 + uint64_t(variant), sigma);
        const auto ref = runKernel(f, Path::Reference, in, 256, 320, opt);
        const auto fast = runKernel(f, Path::Fast, in, 256, 320, opt);
        const QString msg = strictCompare(ref, fast, in);
        QVERIFY2(msg.isEmpty(), qPrintable(QStringLiteral("sigma %1: ").arg(double(sigma)) + msg));
    }
}

// out == in is allowed by the kernel contract.
void TestFastVsRef::inPlace()
{
    for (const Format& f : formats()) {
        BitSource src(99);
        const auto in = src.floats(200 * 70, 16);
        const auto expected = runKernel(f, Path::Reference, in, 200, 70);
        for (Path p : {Path::Reference, Path::Fast}) {
            std::vector<float> buf = in;
            const QuantContext ctx = contextOf(in);
            (p == Path::Reference ? f.reference : f.fast)(buf.data(), buf.data(), 200, 70, ctx, {});
            const QString msg = strictCompare(expected, buf, in);
            QVERIFY2(msg.isEmpty(), qPrintable(QString::fromLatin1(f.name) + QStringLiteral(": ") + msg));
        }
    }
}

QTEST_GUILESS_MAIN(TestFastVsRef)
#include "test_fast_vs_ref.moc"
