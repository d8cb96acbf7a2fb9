// safetensors header validation (each bad header gives an Error naming the file and
// the field) and the writer (layout, round trip, temp+rename, refusals).
#include "io/local_provider.h"
#include "io/model.h"
#include "io/safetensors.h"
#include "io/safetensors_writer.h"
#include "io_test_util.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace qs;
using namespace qs::test;

namespace {

const QString kFile = QStringLiteral("model-00001-of-00002.safetensors");

// Parses a file image through a MemoryProvider; returns the error message or "" on success.
QString headerError(const std::vector<uint8_t>& image, const QString& file = kFile)
{
    MemoryProvider p;
    p.files[file] = image;
    auto h = readHeader(p, file);
    return h.ok() ? QString() : QString::fromStdString(h.error().message);
}

QString jsonError(const std::string& json, size_t dataBytes = 0)
{
    return headerError(rawFile(json, std::vector<uint8_t>(dataBytes, 0)));
}

#define EXPECT_ERROR(msg, ...)                                                                          \
    do {                                                                                                \
        const QString m_ = (msg);                                                                       \
        QVERIFY2(!m_.isEmpty(), "expected an error");                                                   \
        QVERIFY2(m_.startsWith(kFile + ": "), qPrintable(m_));                                          \
        for (const char* part : {__VA_ARGS__}) QVERIFY2(m_.contains(QString::fromUtf8(part)), qPrintable(m_)); \
    } while (0)

} // namespace

class TestSafetensors : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void validHeader()
    {
        const std::string json =
            R"({"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
            R"("a":{"dtype":"BF16","shape":[2,2],"data_offsets":[8,16]},"s":{"dtype":"F32","shape":[],"data_offsets":[16,20]},)"
            R"("e":{"dtype":"F16","shape":[0,5],"data_offsets":[20,20]}}   )";
        MemoryProvider p;
        p.files[kFile] = rawFile(json, std::vector<uint8_t>(20, 0));
        auto h = readHeader(p, kFile);
        QVERIFY2(h.ok(), h.ok() ? "" : h.error().message.c_str());
        QCOMPARE(h->tensors.size(), size_t(4));
        QCOMPARE(h->tensors[0].name, std::string("a"));  // sorted by name
        QCOMPARE(h->metadata.size(), size_t(1));
        QCOMPARE(h->metadata[0].second, std::string("pt"));
        QCOMPARE(h->dataStart(), uint64_t(8 + json.size()));
        QCOMPARE(h->dataSize(), uint64_t(20));
        const SafetensorsTensor* s = h->find("s");
        QVERIFY(s);
        QVERIFY(s->shape.empty());
        QCOMPARE(s->numel(), int64_t(1));
        QCOMPARE(h->find("e")->numel(), int64_t(0));
        QVERIFY(!h->find("zz"));
    }

    void holesAreAccepted()
    {
        QCOMPARE(jsonError(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})", 16),
                 QString());
    }

    void tooShortFile()
    {
        EXPECT_ERROR(headerError({1, 0, 0}), "file is 3 bytes", "8-byte header length");
        EXPECT_ERROR(headerError({}), "file is 0 bytes");
    }

    void headerLengthBeyondFile()
    {
        std::vector<uint8_t> img = rawFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", {0, 0, 0, 0});
        img.resize(img.size() - 10);  // truncated inside the header
        EXPECT_ERROR(headerError(img), "header length 54", "truncated");
        std::vector<uint8_t> big(16, 0);
        big[0] = 0xE8;
        big[1] = 0x03;  // N = 1000 in a 16-byte file
        EXPECT_ERROR(headerError(big), "header length 1000", "16");
    }

    void headerLengthOverLimit()
    {
        std::vector<uint8_t> img(64, ' ');
        const uint64_t n = 100'000'001;
        for (int i = 0; i < 8; ++i) img[size_t(i)] = uint8_t(n >> (8 * i));
        EXPECT_ERROR(headerError(img), "header length 100000001", "100,000,000");
        std::vector<uint8_t> huge(8, 0xFF);  // 2^64-1
        EXPECT_ERROR(headerError(huge), "header length 18446744073709551615");
        // Exactly the limit is allowed by the length check (then fails on the size).
        for (int i = 0; i < 8; ++i) img[size_t(i)] = uint8_t(uint64_t(100'000'000) >> (8 * i));
        EXPECT_ERROR(headerError(img), "header length 100000000", "truncated");
        EXPECT_ERROR(headerError(rawFile("")), "header length 0", "too small");
    }

    void invalidUtf8()
    {
        EXPECT_ERROR(jsonError("{\"a\xff\":{}}"), "header is not valid UTF-8", "0xFF", "offset 3");
        EXPECT_ERROR(jsonError("{\"\xC0\xAF\":{}}"), "not valid UTF-8", "0xC0");                // overlong
        EXPECT_ERROR(jsonError("{\"\xED\xA0\x80\":{}}"), "not valid UTF-8", "0xED");            // surrogate
        EXPECT_ERROR(jsonError("{\"\xF4\x90\x80\x80\":{}}"), "not valid UTF-8");                // > U+10FFFF
        EXPECT_ERROR(jsonError("{\"\xE2\x82\":{}}"), "not valid UTF-8");                        // cut sequence
        // Valid multi-byte names are fine.
        QCOMPARE(jsonError("{\"caf\xC3\xA9\xF0\x9F\x98\x80\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1), QString());
    }

    void notJsonOrNotObject()
    {
        EXPECT_ERROR(jsonError(R"({"a": {"dtype": )"), "header is not valid JSON");
        EXPECT_ERROR(jsonError(R"([1, 2, 3])"), "header must be a JSON object", "an array");
        EXPECT_ERROR(jsonError(R"("text")"), "header must be a JSON object", "a string");
        EXPECT_ERROR(jsonError(R"({"a":1} {"b":2})"), "not valid JSON");
        EXPECT_ERROR(jsonError(R"({"a":5})"), "tensor \"a\"", "expected an object");
        EXPECT_ERROR(jsonError(R"({"":{"dtype":"F32","shape":[],"data_offsets":[0,4]}})", 4), "empty name");
    }

    void badDtype()
    {
        EXPECT_ERROR(jsonError(R"({"w":{"dtype":5,"shape":[1],"data_offsets":[0,4]}})", 4), "tensor \"w\"", "dtype must be a non-empty string");
        EXPECT_ERROR(jsonError(R"({"w":{"dtype":"","shape":[1],"data_offsets":[0,4]}})", 4), "tensor \"w\"", "dtype");
        EXPECT_ERROR(jsonError(R"({"w":{"shape":[1],"data_offsets":[0,4]}})", 4), "tensor \"w\"", "missing \"dtype\"");
        // An unknown dtype name opens (listable) but has DType::Unknown.
        MemoryProvider p;
        p.files[kFile] = rawFile(R"({"w":{"dtype":"Q7","shape":[3],"data_offsets":[0,5]}})", std::vector<uint8_t>(5, 0));
        auto h = readHeader(p, kFile);
        QVERIFY(h.ok());
        QCOMPARE(h->tensors[0].dtype, DType::Unknown);
        QCOMPARE(h->tensors[0].dtypeName, std::string("Q7"));
    }

    void badShape()
    {
        EXPECT_ERROR(jsonError(R"({"w":{"dtype":"F32","shape":[-1,2],"data_offsets":[0,4]}})", 4), "tensor \"w\"", "shape must be an array of non-negative integers", "[-1,2]");
        EXPECT_ERROR(jsonError(R"({"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,4]}})", 4), "tensor \"w\"", "shape", "non-integer");
        EXPECT_ERROR(jsonError(R"({"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", 8), "tensor \"w\"", "shape");
        EXPECT_ERROR(jsonError(R"({"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}})", 8), "tensor \"w\"", "shape");
        EXPECT_ERROR(jsonError(R"({"w":{"dtype":"F32","shape":[1e30],"data_offsets":[0,8]}})", 8), "tensor \"w\"", "shape");
        EXPECT_ERROR(jsonError(R"({"w":{"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,8]}})", 8), "tensor \"w\"", "shape");
        EXPECT_ERROR(jsonError(R"({"w":{"dtype":"F32","data_offsets":[0,8]}})", 8), "tensor \"w\"", "missing \"shape\"");
        // 2^62 x 4 elements overflow int64; 2^61 x 2 F32 overflows the bit count.
        EXPECT_ERROR(jsonError(R"({"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}})", 8), "tensor \"w\"", "more elements than fit");
        EXPECT_ERROR(jsonError(R"({"w":{"dtype":"F32","shape":[2305843009213693952,2],"data_offsets":[0,8]}})", 8), "tensor \"w\"", "overflows");
        EXPECT_ERROR(jsonError(R"({"w":{"dtype":"F32","shape":[9223372036854775807,9223372036854775807],"data_offsets":[0,8]}})", 8), "tensor \"w\"", "more elements");
        // Sub-byte types must fill whole bytes.
        EXPECT_ERROR(jsonError(R"({"w":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}})", 2), "tensor \"w\"", "F4 [3] is 12 bits, not a whole number of bytes");
        QCOMPARE(jsonError(R"({"w":{"dtype":"F4","shape":[4],"data_offsets":[0,2]}})", 2), QString());
        QCOMPARE(jsonError(R"({"w":{"dtype":"F6_E2M3","shape":[4],"data_offsets":[0,3]}})", 3), QString());
    }

    void badOffsets()
    {
        EXPECT_ERROR(jsonError(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4), "tensor \"w\"", "data_offsets [0, 8] end beyond the data section of 4 bytes");
        EXPECT_ERROR(jsonError(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})", 8), "tensor \"w\"", "data_offsets [8, 4]: begin is after end");
        EXPECT_ERROR(jsonError(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", 4), "tensor \"w\"", "data_offsets must be two non-negative integers");
        EXPECT_ERROR(jsonError(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", 4), "tensor \"w\"", "data_offsets");
        EXPECT_ERROR(jsonError(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}})", 4), "tensor \"w\"", "data_offsets");
        EXPECT_ERROR(jsonError(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":"0,4"}})", 4), "tensor \"w\"", "data_offsets");
        EXPECT_ERROR(jsonError(R"({"w":{"dtype":"F32","shape":[1]}})", 4), "tensor \"w\"", "missing \"data_offsets\"");
        EXPECT_ERROR(jsonError(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551615,18446744073709551615]}})", 4), "tensor \"w\"", "end beyond");
    }

    void lengthMismatch()
    {
        QCOMPARE(jsonError(R"({"x.weight":{"dtype":"BF16","shape":[10,10],"data_offsets":[0,100]}})", 100),
                 kFile + ": tensor \"x.weight\": data_offsets [0, 100] give 100 bytes but BF16 [10, 10] needs 200");
    }

    void overlapping()
    {
        EXPECT_ERROR(jsonError(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12),
                     "tensor \"b\" (data_offsets [4, 12]) overlaps tensor \"a\" (data_offsets [0, 8])");
        EXPECT_ERROR(jsonError(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}})", 8),
                     "overlaps");
        // Empty tensors may sit anywhere.
        QCOMPARE(jsonError(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}})", 8), QString());
    }

    void duplicateNames()
    {
        EXPECT_ERROR(jsonError(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8),
                     "tensor \"a\" appears more than once in the header");
        EXPECT_ERROR(jsonError(R"({"a":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}})", 4), "key \"dtype\" appears more than once", "\"a\"");
    }

    void badMetadata()
    {
        EXPECT_ERROR(jsonError(R"({"__metadata__":{"format":5}})"), "__metadata__", "\"format\"", "an integer");
        EXPECT_ERROR(jsonError(R"({"__metadata__":["pt"]})"), "__metadata__ must be an object");
    }

    // Errors from a real file on disk, through LocalProvider + Model::open.
    void truncatedFileOnDisk()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto img = safetensorsBytes({{"w", DType::F32, {4, 4}, floatsAs(DType::F32, ramp(16))}});
        img.resize(img.size() - 3);  // data cut short
        QVERIFY(writeFile(dir.filePath("model.safetensors"), img));
        auto p = LocalProvider::open(dir.path());
        QVERIFY(p.ok());
        auto m = Model::open(*p);
        QVERIFY(!m.ok());
        QCOMPARE(m.error().exitCode, 2);
        const QString msg = QString::fromStdString(m.error().message);
        QVERIFY2(msg.startsWith("model.safetensors: tensor \"w\": data_offsets [0, 64] end beyond the data section of 61 bytes"), qPrintable(msg));
    }

    // ---- writer -------------------------------------------------------------------
    void writerRoundTrip()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("sub/out.safetensors");  // parent created
        const auto f32 = ramp(6);
        const std::vector<float> bf = {1.0f, -2.5f, 3.0e-3f, 0.0f};
        const auto bfBytes = floatsAs(DType::BF16, bf);
        const auto f16Bytes = floatsAs(DType::F16, {0.5f, 65504.0f});
        const auto e4Bytes = floatsAs(DType::F8_E4M3, {0.3f, -1.7f, 470.0f});
        const std::vector<uint8_t> i8 = {0x80, 0x7F};
        auto r = writeSafetensors(path,
                                  {{{"z.last", DType::F32, {2, 3}}, floatsAs(DType::F32, f32)},
                                   {{"a.first", DType::BF16, {4}}, bfBytes},
                                   {{"h", DType::F16, {2}}, f16Bytes},
                                   {{"q", DType::F8_E4M3, {3}}, e4Bytes},
                                   {{"i", DType::I8, {1, 2}}, i8}},
                                  {{"format", "pt"}});
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray all = f.readAll();
        uint64_t n = 0;
        for (int i = 7; i >= 0; --i) n = (n << 8) | uint8_t(all[i]);
        QCOMPARE((8 + n) % 8, uint64_t(0));
        const QByteArray json = all.mid(8, qsizetype(n));
        QVERIFY(json.startsWith("{\"__metadata__\":{\"format\":\"pt\"},\"z.last\":"));  // given order
        QVERIFY(json.indexOf("\"z.last\"") < json.indexOf("\"a.first\""));
        QCOMPARE(qsizetype(8 + n + 24 + 8 + 4 + 3 + 2), all.size());

        auto p = LocalProvider::open(path);
        QVERIFY(p.ok());
        auto m = Model::open(*p);
        QVERIFY(m.ok());
        QVERIFY(!(*m)->hasIndex());
        auto z = (*m)->reader("z.last");
        QVERIFY(z.ok());
        QCOMPARE((*z)->readAll(), f32);
        QVERIFY((*z)->directRows() != nullptr);  // first tensor right after the 8-aligned header
        QCOMPARE((*(*m)->reader("a.first"))->readAll(), (std::vector<float>{1.0f, -2.5f, bf16ToFloatRef(bf[2]), 0.0f}));
        QCOMPARE((*(*m)->reader("h"))->readAll(), (std::vector<float>{0.5f, 65504.0f}));
        QCOMPARE((*(*m)->reader("q"))->readAll(), (std::vector<float>{0.3125f, -1.75f, 448.0f}));
        QCOMPARE((*(*m)->reader("i"))->readAll(), (std::vector<float>{-128.0f, 127.0f}));
        QCOMPARE(QDir(dir.filePath("sub")).entryList(QDir::Files | QDir::Hidden), QStringList{"out.safetensors"});
    }

    void writerRefusals()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("bad.safetensors");
        const std::vector<uint8_t> four(4, 0);
        auto dup = writeSafetensors(path, {{{"a", DType::F32, {1}}, four}, {{"a", DType::F32, {1}}, four}});
        QVERIFY(!dup.ok());
        QVERIFY(QString::fromStdString(dup.error().message).contains("bad.safetensors: tensor \"a\": appears twice"));
        auto sizeMismatch = writeSafetensors(path, {{{"a", DType::F32, {2}}, four}});
        QVERIFY(!sizeMismatch.ok());
        QVERIFY(QString::fromStdString(sizeMismatch.error().message).contains("4 bytes given but F32 [2] needs 8"));
        auto f4 = writeSafetensors(path, {{{"a", DType::F4, {8}}, four}});
        QVERIFY(!f4.ok());
        QVERIFY(QString::fromStdString(f4.error().message).contains("dtype F4 cannot be written"));
        auto meta = writeSafetensors(path, {{{"__metadata__", DType::F32, {1}}, four}});
        QVERIFY(!meta.ok());
        QVERIFY(!QFileInfo::exists(path));  // nothing left behind

        // A streaming writer destroyed before commit leaves no file; short data refuses to commit.
        {
            auto w = SafetensorsWriter::create(path, {{"a", DType::F32, {2}}});
            QVERIFY(w.ok());
            QVERIFY((*w)->write(four.data(), 4).ok());
            QVERIFY(!(*w)->write(four.data(), 8).ok());  // more than declared
            auto c = (*w)->commit();
            QVERIFY(!c.ok());
            QVERIFY(QString::fromStdString(c.error().message).contains("4 tensor bytes written but the header declares 8"));
        }
        QVERIFY(!QFileInfo::exists(path));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 0);
    }

private:
    static float bf16ToFloatRef(float x)
    {
        const auto b = floatsAs(DType::BF16, {x});
        const uint32_t u = uint32_t(b[0] | (b[1] << 8)) << 16;
        float f;
        std::memcpy(&f, &u, 4);
        return f;
    }
};

QTEST_GUILESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
