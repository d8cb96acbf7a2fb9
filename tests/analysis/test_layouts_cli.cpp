// `list` and `wq` on a quantized checkpoint (issue #10): a gpt-oss MXFP4 folder written
// byte by byte; list shows one logical row with the layout, logical shape and stored
// bytes; wq's default selection analyses the experts though their name lacks "weight".
#include "cli_runner.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cstdint>
#include <string>
#include <vector>

namespace {

bool writeBytes(const QString& path, const QByteArray& b)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(b) == b.size();
}

// A safetensors file of U8 tensors (name, shape, bytes), written by hand.
QByteArray u8Safetensors(const std::vector<std::tuple<std::string, std::vector<int64_t>, QByteArray>>& tensors)
{
    std::string json = "{";
    qint64 off = 0;
    QByteArray data;
    for (const auto& [name, shape, bytes] : tensors) {
        if (json.size() > 1) json += ",";
        std::string s;
        for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
        json += "\"" + name + "\":{\"dtype\":\"U8\",\"shape\":[" + s + "],\"data_offsets\":[" + std::to_string(off) + "," +
                std::to_string(off + bytes.size()) + "]}";
        off += bytes.size();
        data += bytes;
    }
    json += "}";
    while (json.size() % 8) json += ' ';
    QByteArray out(8, '\0');
    const quint64 n = json.size();
    for (int i = 0; i < 8; ++i) out[i] = char(n >> (8 * i));
    return out + QByteArray::fromStdString(json) + data;
}

} // namespace

class TestLayoutsCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void gptOssListAndWq()
    {
        QTemporaryDir tmp;
        QByteArray blocks(2 * 4 * 2 * 16, '\0'), scales(2 * 4 * 2, '\0');
        for (int i = 0; i < blocks.size(); ++i) blocks[i] = char((i * 37 + 11) & 0xFF);
        for (int i = 0; i < scales.size(); ++i) scales[i] = char(120 + i % 9);
        const std::string e = "model.layers.0.mlp.experts.gate_up_proj";
        QVERIFY(writeBytes(tmp.filePath("model.safetensors"),
                           u8Safetensors({{e + "_blocks", {2, 4, 2, 16}, blocks}, {e + "_scales", {2, 4, 2}, scales}})));
        QVERIFY(writeBytes(tmp.filePath("config.json"), "{\"quantization_config\": {\"quant_method\": \"mxfp4\"}}"));

        const CliRun l = runCli({"list", tmp.path()});
        QCOMPARE(l.exitCode, 0);
        QVERIFY2(l.out.contains("model.layers.0.mlp.experts.gate_up_proj  mxfp4 (gpt-oss)  (2, 4, 64)"), l.out.constData());
        QVERIFY2(l.out.contains("(stored: " + QByteArray::fromStdString(e) + "_blocks U8 [2, 4, 2, 16], " +
                                QByteArray::fromStdString(e) + "_scales U8 [2, 4, 2])"),
                 l.out.constData());
        QVERIFY2(l.out.contains("\n1 tensors\n"), l.out.constData());
        QVERIFY2(l.out.contains("stored:  272 parameters in 272 bytes"), l.out.constData());
        QVERIFY2(l.out.contains("logical: 512 parameters"), l.out.constData());

        const CliRun w = runCli({"wq", tmp.path(), "-c", "mxfp4", "--no-results"});
        QCOMPARE(w.exitCode, 0);
        QVERIFY2(w.out.contains(QByteArray::fromStdString(e) + "\n"), w.out.constData());
        QVERIFY2(w.out.contains("shape=(2, 4, 64)"), w.out.constData());

        // an unknown quant_method is a clear error, exit 2
        QVERIFY(writeBytes(tmp.filePath("config.json"), "{\"quantization_config\": {\"quant_method\": \"mystery\"}}"));
        const CliRun bad = runCli({"list", tmp.path()});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains("quant_method \"mystery\" is not a known checkpoint layout"), bad.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestLayoutsCli)
#include "test_layouts_cli.moc"
