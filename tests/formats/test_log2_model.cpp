// The float32 np.log2 model (formats/log2_model.h): the table-driven ceil/floor equal
// the direct double-based computation on both sides of every binade boundary and on
// random values, and the model differs from the exact ceil/floor where a correctly
// rounded float32 log2 does (x = 2^k (1 + 2^-23), |k| >= 4).
#include <QTest>

#include <cmath>
#include <random>

#include "formats/log2_model.h"
#include "golden.h"

using namespace qs;
using qs::test::bitsToFloat;
using qs::test::floatToBits;
static float bitsFloat(uint32_t u) { return bitsToFloat(u); }

class TestLog2Model : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void tablesMatchDirect();
    void roundedNotExact();
};

void TestLog2Model::tablesMatchDirect()
{
    auto check = [](float x) {
        const float l = log2model::log2f(x);
        QCOMPARE(log2model::ceilLog2(x), int(std::ceil(l)));
        QCOMPARE(log2model::floorLog2(x), int(std::floor(l)));
    };
    for (uint32_t e = 0; e < 255; ++e)
        for (uint32_t m : {0u, 1u, 2u, 3u, 7u, 100u, 1000u, 0x10000u, 0x400000u, 0x7FFFFEu, 0x7FFFFFu, 0x7FFFF0u,
                           0x7FF000u})
            if ((e << 23 | m) != 0)
                check(bitsFloat(e << 23 | m));
    std::mt19937 rng(12345);
    for (int i = 0; i < 200000; ++i) {
        const uint32_t u = rng() & 0x7FFFFFFFu;
        if (u != 0 && u < 0x7F800000u)
            check(bitsFloat(u));
        // Values within a few hundred ulps of a power of two.
        const uint32_t e = 1 + rng() % 253;
        const uint32_t d = rng() % 600;
        check(bitsFloat(e << 23 | d));
        check(bitsFloat((e << 23) - 1 - d));
    }
}

void TestLog2Model::roundedNotExact()
{
    const float above = bitsFloat(uint32_t(100 + 127) << 23 | 1);  // 2^100 (1 + 2^-23)
    QCOMPARE(log2model::log2f(above), 100.0f);
    QCOMPARE(log2model::ceilLog2(above), 100);   // exact ceil would be 101
    const float below = bitsFloat((uint32_t(8 + 127) << 23) - 1);  // just below 256
    QCOMPARE(log2model::floorLog2(below), 8);    // exact floor would be 7
    const float nearOne = bitsFloat(0x3F800001);  // log2 = 1.7e-7 is representable
    QCOMPARE(log2model::ceilLog2(nearOne), 1);
    QCOMPARE(log2model::ceilLog2(bitsFloat(0x00000001)), -149);
    QCOMPARE(log2model::floorLog2(bitsFloat(0x00000003)), -148);
    QCOMPARE(log2model::ceilLog2(1.0f), 0);
    QCOMPARE(log2model::ceilLog2(3.0f), 2);
    QCOMPARE(log2model::floorLog2(3.0f), 1);
}

QTEST_GUILESS_MAIN(TestLog2Model)
#include "test_log2_model.moc"
