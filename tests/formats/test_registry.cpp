// The format registry (format.h): order, names, labels, flags and sizes; lookups; and
// quantizeDequantize(): equal to the reference kernel, and identical bits with 1 and 2
// OpenMP threads for every format.
#include <QTest>

#include <omp.h>

#include "format_test_util.h"

using namespace qs;
using namespace qs::test;

class TestRegistry : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void orderAndFlags();
    void sizes();
    void lookups();
    void originalFormats();
    void driverMatchesReference_data();
    void driverMatchesReference();
    void threadCountIndependent_data() { driverMatchesReference_data(); }
    void threadCountIndependent();
    void emptyInput();
};

void TestRegistry::orderAndFlags()
{
    const char* expected[] = {"bf16", "bfp8", "bfp4", "bfp2", "fp0", "mxfp4", "nvfp4", "mxfp4_proxy", "nvfp4_proxy",
                              "bfp8_ideal", "bfp4_ideal", "bfp2_ideal", "fp8_e4m3", "fp8_e5m2", "mxfp8",
                              "mxfp8_e5m2", "mxfp6", "mxfp6_e3m2", "int8", "int4_g128", "int4_g128_asym",
                              "int4_g32", "int4_g32_asym"};
    const auto fs = formats();
    QCOMPARE(fs.size(), std::size(expected));
    for (size_t i = 0; i < fs.size(); ++i) {
        QCOMPARE(QString::fromLatin1(fs[i].name), QString::fromLatin1(expected[i]));
        QVERIFY(fs[i].reference && fs[i].fast);
        QVERIFY(!fs[i].label.empty() && !fs[i].description.empty());
        const bool seven = i < 7;
        QCOMPARE(fs[i].original, seven);
        QCOMPARE(fs[i].tileFormat, seven);
        QVERIFY(fs[i].rowAlign >= 1);
    }
    QCOMPARE(QString::fromLatin1(fmt("bfp8").label), QStringLiteral("BFP8"));
    QCOMPARE(QString::fromLatin1(fmt("mxfp4_proxy").label), QStringLiteral("MXFP4 (ref)"));
    QCOMPARE(QString::fromLatin1(fmt("nvfp4_proxy").label), QStringLiteral("NVFP4 (ref)"));
    QCOMPARE(QString::fromLatin1(fmt("fp8_e4m3").label), QStringLiteral("FP8_E4M3"));
    QVERIFY(fmt("nvfp4").needsAbsMax);
    QCOMPARE(fmt("nvfp4").rowAlign, 16);
    QCOMPARE(fmt("fp8_e4m3").rowAlign, 128);
    QVERIFY(fmt("fp8_e5m2").needsAbsMax);
    QVERIFY(!fmt("bfp8").needsAbsMax && !fmt("mxfp4").needsAbsMax);
    QCOMPARE(fmt("bfp8").blockK, 16);
    QCOMPARE(fmt("mxfp4").blockK, 32);
    QCOMPARE(fmt("nvfp4").blockK, 16);
}

void TestRegistry::sizes()
{
    QCOMPARE(fmt("bf16").bitsPerElement, 16.0);
    QCOMPARE(fmt("bfp8").bytesPerElement(), 1.0625);
    QCOMPARE(fmt("bfp4").bytesPerElement(), 0.5625);
    QCOMPARE(fmt("bfp2").bytesPerElement(), 0.3125);
    QCOMPARE(fmt("fp0").bitsPerElement, 0.0);
    QCOMPARE(fmt("mxfp4").bitsPerElement, 4.25);
    QCOMPARE(fmt("mxfp6").bitsPerElement, 6.25);
    QCOMPARE(fmt("mxfp8").bitsPerElement, 8.25);
    QCOMPARE(fmt("nvfp4").bitsPerElement, 4.5);
    QCOMPARE(fmt("nvfp4").bytesPerTensor, 4.0);
    QCOMPARE(fmt("fp8_e4m3").bitsPerElement, 8.0);
    // Integer formats: bf16 scales (16 bits) per group, 4-bit zero points, int8's scale per row.
    QCOMPARE(fmt("int4_g128").bitsPerElement, 4.125);
    QCOMPARE(fmt("int4_g128_asym").bitsPerElement, 4.15625);
    QCOMPARE(fmt("int4_g32").bitsPerElement, 4.5);
    QCOMPARE(fmt("int4_g32_asym").bitsPerElement, 4.625);
    QCOMPARE(fmt("int8").bitsPerElement, 8.0);
    QCOMPARE(fmt("int8").rowBits, 16);
    QCOMPARE(payloadBytes(fmt("int8"), 2, 100), 2 * 102.0);
}

void TestRegistry::lookups()
{
    QVERIFY(findFormat("BFP8") == &fmt("bfp8"));
    QVERIFY(findFormat("MxFp4_Proxy") == &fmt("mxfp4_proxy"));
    QVERIFY(findFormat("bfp16") == nullptr);
    QVERIFY(findFormat("") == nullptr);
    const QString list = QString::fromStdString(formatNameList());
    QVERIFY(list.startsWith(QStringLiteral("bf16, bfp8, bfp4, bfp2, fp0, mxfp4, nvfp4, mxfp4_proxy")));
    QVERIFY(list.endsWith(QStringLiteral("mxfp6_e3m2, int8, int4_g128, int4_g128_asym, int4_g32, int4_g32_asym")));
    QVERIFY(findFormat("INT4_G128_ASYM") == &fmt("int4_g128_asym"));
}

void TestRegistry::originalFormats()
{
    const auto o = qs::originalFormats();
    QStringList names;
    for (const Format* f : o)
        names << QString::fromLatin1(f->name);
    QCOMPARE(names.join(QLatin1Char(' ')), QStringLiteral("mxfp4 nvfp4 bf16 bfp8 bfp4 bfp2 fp0"));
}

void TestRegistry::driverMatchesReference_data()
{
    QTest::addColumn<QString>("format");
    QTest::addColumn<int>("variant");
    for (const Format& f : formats()) {
        QTest::addRow("%s", f.name.data()) << QString::fromLatin1(f.name) << 0;
        if (f.name == "nvfp4")
            QTest::addRow("nvfp4/2d") << QStringLiteral("nvfp4") << 1;
        if (f.name == "fp8_e4m3")
            QTest::addRow("fp8_e4m3/block128") << QStringLiteral("fp8_e4m3") << 2;
        if (f.name == "fp8_e5m2")
            QTest::addRow("fp8_e5m2/pertensor") << QStringLiteral("fp8_e5m2") << 3;
    }
}

namespace {
FormatOptions variantOptions(int v)
{
    FormatOptions o;
    if (v == 1)
        o.nv2dBlocks = true;
    if (v == 2)
        o.fp8Scaling = Fp8Scaling::Block128;
    if (v == 3)
        o.fp8Scaling = Fp8Scaling::PerTensor;
    return o;
}
// Rows not a multiple of 16/128 and wide enough for several 64K chunks.
constexpr int64_t kRows = 1000, kCols = 333;
} // namespace

void TestRegistry::driverMatchesReference()
{
    QFETCH(QString, format);
    QFETCH(int, variant);
    const Format& f = fmt(qPrintable(format));
    const FormatOptions opt = variantOptions(variant);
    BitSource src(4242);
    auto in = src.floats(size_t(kRows * kCols), 16);
    // Keep a finite maximum well inside range so the per-tensor scale is ordinary.
    in[5] = 1e30f;
    const auto ref = runKernel(f, Path::Reference, in, kRows, kCols, opt);
    std::vector<float> out(in.size());
    quantizeDequantize(f, in.data(), out.data(), kRows, kCols, opt);
    const QString msg = compareBits(format, ref.data(), out.data(), qint64(out.size()), in.data());
    QVERIFY2(msg.isEmpty(), qPrintable(msg));
}

void TestRegistry::threadCountIndependent()
{
    QFETCH(QString, format);
    QFETCH(int, variant);
    const Format& f = fmt(qPrintable(format));
    const FormatOptions opt = variantOptions(variant);
    BitSource src(777);
    const auto in = src.floats(size_t(kRows * kCols), 16);
    std::vector<float> one(in.size()), two(in.size());
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    quantizeDequantize(f, in.data(), one.data(), kRows, kCols, opt);
    omp_set_num_threads(2);
    quantizeDequantize(f, in.data(), two.data(), kRows, kCols, opt);
    omp_set_num_threads(saved);
    QVERIFY(std::memcmp(one.data(), two.data(), one.size() * 4) == 0);
}

void TestRegistry::emptyInput()
{
    float dummy = 1.0f;
    for (const Format& f : formats()) {
        quantizeDequantize(f, &dummy, &dummy, 0, 5);
        quantizeDequantize(f, &dummy, &dummy, 5, 0);
    }
    QCOMPARE(dummy, 1.0f);
}

QTEST_GUILESS_MAIN(TestRegistry)
#include "test_registry.moc"
