// DType names/sizes and decoding to fp32: every 8/16-bit code against the scalar
// reference, hand-computed vectors (subnormals, Inf/NaN, ties), FORMATS.md §5/§9 examples.
#include "formats/minifloat.h"
#include "io/dtype.h"
#include "io/safetensors_writer.h"
#include "io_test_util.h"

#include <QElapsedTimer>
#include <QTest>

#include <cmath>
#include <cstring>
#include <limits>

using namespace qs;
using qs::test::bitsOf;

namespace {

template <class T>
float decodeOne(DType t, T v)
{
    uint8_t buf[sizeof(T)];
    std::memcpy(buf, &v, sizeof(T));
    float out = -7.0f;
    decodeToFloat(t, buf, 1, &out);
    return out;
}

float fromBits(uint32_t u)
{
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

} // namespace

class TestDType : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void namesAndSizes()
    {
        const struct { const char* n; DType t; int bits; bool dec; } rows[] = {
            {"F64", DType::F64, 64, true},       {"F32", DType::F32, 32, true},
            {"F16", DType::F16, 16, true},       {"BF16", DType::BF16, 16, true},
            {"F8_E4M3", DType::F8_E4M3, 8, true}, {"F8_E5M2", DType::F8_E5M2, 8, true},
            {"F8_E8M0", DType::F8_E8M0, 8, true}, {"I64", DType::I64, 64, true},
            {"I32", DType::I32, 32, true},       {"I16", DType::I16, 16, true},
            {"I8", DType::I8, 8, true},          {"U8", DType::U8, 8, true},
            {"BOOL", DType::BOOL, 8, true},      {"F4", DType::F4, 4, false},
            {"F6_E2M3", DType::F6_E2M3, 6, false}, {"F6_E3M2", DType::F6_E3M2, 6, false},
            {"F8_E4M3FNUZ", DType::F8_E4M3FNUZ, 8, false}, {"F8_E5M2FNUZ", DType::F8_E5M2FNUZ, 8, false},
            {"U16", DType::U16, 16, false},      {"U32", DType::U32, 32, false},
            {"U64", DType::U64, 64, false},      {"C64", DType::C64, 64, false},
        };
        for (const auto& r : rows) {
            QCOMPARE(dtypeFromName(r.n), r.t);
            QCOMPARE(std::string(dtypeName(r.t)), std::string(r.n));
            QCOMPARE(dtypeBits(r.t), r.bits);
            QCOMPARE(dtypeDecodable(r.t), r.dec);
        }
        QCOMPARE(dtypeBytes(DType::F4), 0);
        QCOMPARE(dtypeBytes(DType::F6_E2M3), 0);
        QCOMPARE(dtypeBytes(DType::BF16), 2);
        QCOMPARE(dtypeBytes(DType::C64), 8);
        QCOMPARE(dtypeFromName("E8M0"), DType::F8_E8M0);
        QCOMPARE(dtypeFromName("UE8"), DType::F8_E8M0);
        QCOMPARE(dtypeFromName("FP4"), DType::F4);
        QCOMPARE(dtypeFromName("bf16"), DType::Unknown);  // names are case-sensitive
        QCOMPARE(dtypeFromName(""), DType::Unknown);
        QCOMPARE(dtypeFromName("F8_E4M3 "), DType::Unknown);
        QCOMPARE(dtypeBits(DType::Unknown), 0);
        QVERIFY(!dtypeDecodable(DType::Unknown));
    }

    // Every 16-bit pattern: fast path == scalar reference, bit for bit.
    void all16BitCodesMatchReference()
    {
        for (DType t : {DType::F16, DType::BF16, DType::I16}) {
            std::vector<uint8_t> src(65536 * 2 + 1);
            for (uint32_t h = 0; h < 65536; ++h) {  // offset 1: unaligned source
                src[1 + 2 * h] = uint8_t(h);
                src[2 + 2 * h] = uint8_t(h >> 8);
            }
            std::vector<float> fast(65536);
            decodeToFloat(t, src.data() + 1, 65536, fast.data());
            for (uint32_t h = 0; h < 65536; ++h) {
                const float ref = decodeReference(t, src.data() + 1 + 2 * h);
                if (bitsOf(ref) != bitsOf(fast[h]))
                    QFAIL(qPrintable(QString("%1 code 0x%2: fast %3 ref %4").arg(QString::fromUtf8(dtypeName(t).data()))
                                         .arg(h, 4, 16, QChar('0')).arg(bitsOf(fast[h]), 8, 16).arg(bitsOf(ref), 8, 16)));
            }
        }
    }

    void all8BitCodesMatchReference()
    {
        for (DType t : {DType::F8_E4M3, DType::F8_E5M2, DType::F8_E8M0, DType::I8, DType::U8, DType::BOOL}) {
            std::vector<uint8_t> src(256);
            for (int c = 0; c < 256; ++c) src[size_t(c)] = uint8_t(c);
            std::vector<float> fast(256);
            decodeToFloat(t, src.data(), 256, fast.data());
            for (int c = 0; c < 256; ++c)
                QCOMPARE(bitsOf(fast[size_t(c)]), bitsOf(decodeReference(t, &src[size_t(c)])));
            QVERIFY(decodeTable8(t) != nullptr);
        }
        QVERIFY(decodeTable8(DType::BF16) == nullptr);
    }

    void f16Vectors()
    {
        auto d = [](uint16_t h) { return bitsOf(decodeOne(DType::F16, h)); };
        QCOMPARE(d(0x0000), 0x00000000u);
        QCOMPARE(d(0x8000), 0x80000000u);                 // -0.0
        QCOMPARE(d(0x0001), bitsOf(std::ldexp(1.0f, -24)));  // smallest subnormal
        QCOMPARE(d(0x8001), bitsOf(-std::ldexp(1.0f, -24)));
        QCOMPARE(d(0x03FF), bitsOf(1023.0f * std::ldexp(1.0f, -24)));  // largest subnormal
        QCOMPARE(d(0x0200), bitsOf(std::ldexp(1.0f, -15)));
        QCOMPARE(d(0x0400), bitsOf(std::ldexp(1.0f, -14)));  // smallest normal
        QCOMPARE(d(0x3C00), bitsOf(1.0f));
        QCOMPARE(d(0x3555), bitsOf(0.333251953125f));
        QCOMPARE(d(0xC000), bitsOf(-2.0f));
        QCOMPARE(d(0x7BFF), bitsOf(65504.0f));
        QCOMPARE(d(0x7C00), 0x7F800000u);
        QCOMPARE(d(0xFC00), 0xFF800000u);
        QCOMPARE(d(0x7E00), 0x7FC00000u);                 // quiet NaN, payload kept
        QCOMPARE(d(0x7C01), 0x7F802000u);                 // signalling payload kept
        QVERIFY(std::isnan(decodeOne(DType::F16, uint16_t(0xFE00))));
        QCOMPARE(bitsOf(f16ToFloat(0x3C00)), bitsOf(1.0f));
    }

    void bf16Vectors()
    {
        auto d = [](uint16_t h) { return bitsOf(decodeOne(DType::BF16, h)); };
        QCOMPARE(d(0x3F80), bitsOf(1.0f));
        QCOMPARE(d(0xC0A0), bitsOf(-5.0f));
        QCOMPARE(d(0x0001), 0x00010000u);  // subnormal
        QCOMPARE(d(0x8000), 0x80000000u);
        QCOMPARE(d(0x7F80), 0x7F800000u);
        QCOMPARE(d(0xFF80), 0xFF800000u);
        QCOMPARE(d(0x7FC1), 0x7FC10000u);
        QCOMPARE(d(0x3B7C), bitsOf(0.00384521484375f));  // FORMATS §9 example
    }

    void fp8Vectors()
    {
        auto e4 = [](uint8_t c) { return bitsOf(decodeOne(DType::F8_E4M3, c)); };
        QCOMPARE(e4(0x08), bitsOf(std::ldexp(1.0f, -6)));
        QCOMPARE(e4(0x38), bitsOf(1.0f));
        QCOMPARE(e4(0x80), 0x80000000u);
        QCOMPARE(e4(0x01), bitsOf(std::ldexp(1.0f, -9)));
        QCOMPARE(e4(0x07), bitsOf(0.013671875f));
        QCOMPARE(e4(0x2A), bitsOf(0.3125f));
        QCOMPARE(e4(0xBE), bitsOf(-1.75f));
        QCOMPARE(e4(0xBC), bitsOf(-1.5f));
        QCOMPARE(e4(0x7E), bitsOf(448.0f));
        QCOMPARE(e4(0xFE), bitsOf(-448.0f));
        QVERIFY(std::isnan(decodeOne(DType::F8_E4M3, uint8_t(0x7F))));
        QVERIFY(std::isnan(decodeOne(DType::F8_E4M3, uint8_t(0xFF))));
        QVERIFY(std::isfinite(decodeOne(DType::F8_E4M3, uint8_t(0x78))));  // 256: no Inf in e4m3fn

        auto e5 = [](uint8_t c) { return bitsOf(decodeOne(DType::F8_E5M2, c)); };
        QCOMPARE(e5(0x04), bitsOf(std::ldexp(1.0f, -14)));
        QCOMPARE(e5(0x01), bitsOf(std::ldexp(1.0f, -16)));
        QCOMPARE(e5(0x3C), bitsOf(1.0f));
        QCOMPARE(e5(0x35), bitsOf(0.3125f));
        QCOMPARE(e5(0x7B), bitsOf(57344.0f));
        QCOMPARE(e5(0x7C), 0x7F800000u);
        QCOMPARE(e5(0xFC), 0xFF800000u);
        QVERIFY(std::isnan(decodeOne(DType::F8_E5M2, uint8_t(0x7D))));

        auto e8 = [](uint8_t c) { return bitsOf(decodeOne(DType::F8_E8M0, c)); };
        QCOMPARE(e8(127), bitsOf(1.0f));
        QCOMPARE(e8(128), bitsOf(2.0f));
        QCOMPARE(e8(120), bitsOf(std::ldexp(1.0f, -7)));
        QCOMPARE(e8(254), bitsOf(std::ldexp(1.0f, 127)));
        QCOMPARE(e8(0), bitsOf(std::ldexp(1.0f, -127)));  // fp32 subnormal, not flushed
        QVERIFY(std::isnan(decodeOne(DType::F8_E8M0, uint8_t(0xFF))));
    }

    void wideAndIntegerVectors()
    {
        auto f64 = [](double v) { return bitsOf(decodeOne(DType::F64, v)); };
        QCOMPARE(f64(0.1), 0x3DCCCCCDu);
        QCOMPARE(f64(1.0 + std::ldexp(1.0, -24)), bitsOf(1.0f));                           // tie -> even
        QCOMPARE(f64(1.0 + 3 * std::ldexp(1.0, -24)), bitsOf(1.0f + std::ldexp(1.0f, -22))); // tie -> even (up)
        QCOMPARE(f64(1.0 + std::ldexp(1.0, -24) + std::ldexp(1.0, -40)), bitsOf(1.0f + std::ldexp(1.0f, -23)));
        QCOMPARE(f64(1e300), 0x7F800000u);
        QCOMPARE(f64(-1e300), 0xFF800000u);
        QCOMPARE(f64(-0.0), 0x80000000u);
        QCOMPARE(f64(1e-40), bitsOf(1e-40f));  // fp32 subnormal
        QCOMPARE(f64(1e-50), 0u);
        QVERIFY(std::isnan(decodeOne(DType::F64, std::numeric_limits<double>::quiet_NaN())));

        QCOMPARE(bitsOf(decodeOne(DType::I64, int64_t(16777217))), bitsOf(16777216.0f));  // tie -> even
        QCOMPARE(bitsOf(decodeOne(DType::I64, int64_t(16777219))), bitsOf(16777220.0f));
        QCOMPARE(bitsOf(decodeOne(DType::I64, std::numeric_limits<int64_t>::min())), bitsOf(-9223372036854775808.0f));
        QCOMPARE(bitsOf(decodeOne(DType::I64, int64_t(-5))), bitsOf(-5.0f));
        QCOMPARE(bitsOf(decodeOne(DType::I32, int32_t(-2147483647 - 1))), bitsOf(-2147483648.0f));
        QCOMPARE(bitsOf(decodeOne(DType::I32, int32_t(123456789))), bitsOf(123456792.0f));
        QCOMPARE(bitsOf(decodeOne(DType::I16, int16_t(-32768))), bitsOf(-32768.0f));
        QCOMPARE(bitsOf(decodeOne(DType::I8, uint8_t(0x80))), bitsOf(-128.0f));
        QCOMPARE(bitsOf(decodeOne(DType::I8, uint8_t(0x7F))), bitsOf(127.0f));
        QCOMPARE(bitsOf(decodeOne(DType::U8, uint8_t(0xFF))), bitsOf(255.0f));
        QCOMPARE(bitsOf(decodeOne(DType::BOOL, uint8_t(0))), bitsOf(0.0f));
        QCOMPARE(bitsOf(decodeOne(DType::BOOL, uint8_t(1))), bitsOf(1.0f));
        QCOMPARE(bitsOf(decodeOne(DType::BOOL, uint8_t(2))), bitsOf(1.0f));
        QCOMPARE(bitsOf(decodeOne(DType::F32, -0.0f)), 0x80000000u);
    }

    // A run of F32/F64/I32 values from an unaligned buffer equals element-wise decoding.
    void unalignedRuns()
    {
        for (DType t : {DType::F32, DType::F64, DType::I32, DType::I64, DType::BF16, DType::F16}) {
            const int b = dtypeBytes(t);
            std::vector<uint8_t> buf(size_t(b) * 1000 + 3);
            for (size_t i = 0; i < buf.size(); ++i) buf[i] = uint8_t((i * 2654435761u) >> 13);
            std::vector<float> run(1000);
            decodeToFloat(t, buf.data() + 3, 1000, run.data());
            for (size_t i = 0; i < 1000; ++i)
                QCOMPARE(bitsOf(run[i]), bitsOf(decodeReference(t, buf.data() + 3 + i * size_t(b))));
        }
    }

    // FORMATS.md §9 worked examples: one fp32 multiply decode(code) * scale_inv.
    void fp8DequantWorkedExamples()
    {
        const float s = fromBits(0x3C4985F0);
        QCOMPARE(bitsOf(s), bitsOf(0.0123f));
        const float* lut = decodeTable8(DType::F8_E4M3);
        QCOMPARE(bitsOf(lut[0x2A] * s), bitsOf(0.0038437499f));
        QCOMPARE(bf16BitsRef(lut[0x2A] * s), uint16_t(0x3B7C));
        QCOMPARE(bitsOf(lut[0xBC] * s), bitsOf(-0.018449999f));
        QCOMPARE(bf16BitsRef(lut[0xBC] * s), uint16_t(0xBC97));
        QCOMPARE(bitsOf(lut[0x7E] * s), bitsOf(5.5104f));
        QCOMPARE(bf16BitsRef(lut[0x7E] * s), uint16_t(0x40B0));
        const float e = std::ldexp(1.0f, -8);
        QCOMPARE(bitsOf(lut[0x2A] * e), bitsOf(0.001220703125f));
        QCOMPARE(bitsOf(lut[0xBC] * e), bitsOf(-0.005859375f));
        QCOMPARE(bitsOf(lut[0x7E] * e), bitsOf(1.75f));
    }

    // The F16 encoder used by the writer: exact round trip and RNE ties.
    void f16Encoder()
    {
        for (uint32_t h = 0; h < 65536; ++h) {
            const float f = f16ToFloat(uint16_t(h));
            if (std::isnan(f)) {
                QVERIFY(std::isnan(f16ToFloat(floatToF16(f))));
                continue;
            }
            QCOMPARE(floatToF16(f), uint16_t(h));
        }
        QCOMPARE(floatToF16(1.0f + std::ldexp(1.0f, -11)), uint16_t(0x3C00));      // tie -> even
        QCOMPARE(floatToF16(1.0f + 3 * std::ldexp(1.0f, -11)), uint16_t(0x3C02)); // tie -> even
        QCOMPARE(floatToF16(65519.99f), uint16_t(0x7BFF));
        QCOMPARE(floatToF16(65520.0f), uint16_t(0x7C00));                           // tie -> Inf
        QCOMPARE(floatToF16(-1e10f), uint16_t(0xFC00));
        QCOMPARE(floatToF16(std::ldexp(1.0f, -25)), uint16_t(0x0000));             // tie -> 0
        QCOMPARE(floatToF16(1.5f * std::ldexp(1.0f, -24)), uint16_t(0x0002));      // tie -> even
        QCOMPARE(floatToF16(std::ldexp(1.0f, -25) * 1.0001f), uint16_t(0x0001));
        QCOMPARE(floatToF16(-0.0f), uint16_t(0x8000));
    }

    // Throughput, printed only (no timing assertions).
    void throughput()
    {
        const int64_t n = 8 << 20;
        std::vector<uint8_t> src(size_t(n) * 2);
        for (size_t i = 0; i < src.size(); ++i) src[i] = uint8_t(i * 7 + (i >> 9));
        std::vector<float> out(static_cast<size_t>(n));
        for (DType t : {DType::BF16, DType::F16, DType::F8_E4M3}) {
            decodeToFloat(t, src.data(), n, out.data());  // warm up
            QElapsedTimer timer;
            timer.start();
            for (int k = 0; k < 4; ++k) decodeToFloat(t, src.data(), n, out.data());
            const double s = std::max<qint64>(1, timer.nsecsElapsed()) * 1e-9;
            qInfo("%s -> fp32: %.2f G elements/s", dtypeName(t).data(), 4.0 * double(n) / s * 1e-9);
        }
    }
};

QTEST_GUILESS_MAIN(TestDType)
#include "test_dtype.moc"
