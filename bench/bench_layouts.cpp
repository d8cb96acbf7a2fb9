// bench_layouts: the cost of decoding a quantized checkpoint (issue #10) against the
// analysis of it. Writes a gpt-oss MXFP4 tensor and a GPTQ INT4 g128 tensor of
// rows x cols logical elements (default 8192 x 8192 = 67 M), then times
//   - the dequantizer alone: the layout reader decoding every row to float32, in the same
//     fixed row chunks and threads as the analysis reads them,
//   - the whole analysis: runWq on that tensor with mxfp4, nvfp4, bfp8, bfp4, bf16 (the
//     run includes reading, statistics, the formats, and the emulation match).
// Target: dequantizer <= 30 % of the analysis time. Prints one line per layout.
// Usage: bench_layouts [rows cols]
#include "analysis/wq_run.h"
#include "common/parallel.h"
#include "io/local_provider.h"
#include "io/model.h"
#include "io/safetensors_writer.h"

#include <QCoreApplication>
#include <omp.h>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace {

bool writeText(const QString& path, const std::string& text)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(text.data(), qint64(text.size())) == qint64(text.size());
}

struct Part {
    std::string name;
    qs::DType dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;
};

bool writeParts(const QString& file, const std::vector<Part>& parts)
{
    std::vector<qs::TensorSpec> specs;
    for (const auto& p : parts) specs.push_back({p.name, p.dtype, p.shape});
    auto w = qs::SafetensorsWriter::create(file, specs);
    if (!w) return false;
    for (const auto& p : parts)
        if (!(*w)->write(p.bytes.data(), p.bytes.size())) return false;
    return (*w)->commit().ok();
}

std::vector<uint8_t> randomBytes(size_t n, uint32_t seed)
{
    std::vector<uint8_t> b(n);
    std::mt19937 rng(seed);
    for (size_t i = 0; i + 4 <= n; i += 4) {
        const uint32_t v = rng();
        b[i] = uint8_t(v);
        b[i + 1] = uint8_t(v >> 8);
        b[i + 2] = uint8_t(v >> 16);
        b[i + 3] = uint8_t(v >> 24);
    }
    return b;
}

double seconds(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Decodes every row of the tensor in 64K-element row chunks on all threads.
double decodeAll(const qs::Model& model, const std::string& name, double* checksum)
{
    const auto t0 = std::chrono::steady_clock::now();
    auto r = model.reader(name);
    if (!r) {
        std::fprintf(stderr, "%s\n", r.error().message.c_str());
        return -1;
    }
    const qs::TensorReader& reader = **r;
    const int64_t rows = reader.rows(), cols = reader.cols();
    const int64_t chunkRows = std::max<int64_t>(1, 65536 / cols);
    const int64_t chunks = (rows + chunkRows - 1) / chunkRows;
    double sum = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : sum)
    for (int64_t c = 0; c < chunks; ++c) {
        const int64_t r0 = c * chunkRows, r1 = std::min(rows, r0 + chunkRows);
        std::vector<float> buf(size_t((r1 - r0) * cols));
        reader.readRows(r0, r1, buf.data());
        sum += double(buf[0]) + double(buf.back());  // keep the decode observable
    }
    *checksum = sum;
    return seconds(t0);
}

double analyse(const QString& dir, const QString& filter, int repeats)
{
    double best = 1e30;
    for (int i = 0; i < repeats; ++i) {
        qs::WqParams p;
        p.model = dir;
        p.filter = {filter};
        p.formats = {"mxfp4", "nvfp4", "bfp8", "bfp4", "bf16"};
        p.writeResults = false;
        const auto t0 = std::chrono::steady_clock::now();
        auto r = qs::runWq(p, {}, {}, nullptr);
        if (!r) {
            std::fprintf(stderr, "%s\n", r.error().message.c_str());
            return -1;
        }
        best = std::min(best, seconds(t0));
    }
    return best;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const int64_t rows = argc > 2 ? std::stoll(argv[1]) : 8192, cols = argc > 2 ? std::stoll(argv[2]) : 8192;
    if (cols % 128 != 0 || rows % 8 != 0) {
        std::fprintf(stderr, "cols must be a multiple of 128, rows of 8\n");
        return 1;
    }
    QTemporaryDir tmp;
    // gpt-oss MXFP4: X_blocks [rows, cols/32, 16], X_scales [rows, cols/32] around 2^-6.
    const QString mx = tmp.filePath("mxfp4");
    QDir().mkpath(mx);
    {
        std::vector<uint8_t> scales = randomBytes(size_t(rows * cols / 32), 2);
        for (auto& s : scales) s = uint8_t(118 + s % 6);
        const std::string e = "model.layers.0.mlp.experts.down_proj";
        if (!writeText(mx + "/config.json", "{\"quantization_config\": {\"quant_method\": \"mxfp4\"}}") ||
            !writeParts(mx + "/model.safetensors",
                        {{e + "_blocks", qs::DType::U8, {rows, cols / 32, 16}, randomBytes(size_t(rows * cols / 2), 1)},
                         {e + "_scales", qs::DType::U8, {rows, cols / 32}, scales}}))
            return 1;
    }
    // GPTQ v1 INT4 g128: logical [out = rows, in = cols]; qweight [in/8, out], qzeros
    // [in/128, out/8], scales [in/128, out] F16 around 2^-7.
    const QString gq = tmp.filePath("gptq");
    QDir().mkpath(gq);
    {
        const int64_t out = rows, in = cols, groups = in / 128;
        std::vector<uint8_t> scales(size_t(groups * out * 2));
        std::mt19937 rng(4);
        for (size_t i = 0; i < scales.size(); i += 2) {
            const uint16_t h = uint16_t(0x2000 + rng() % 0x400);
            scales[i] = uint8_t(h);
            scales[i + 1] = uint8_t(h >> 8);
        }
        if (!writeText(gq + "/config.json", "{\"quantization_config\": {\"quant_method\": \"gptq\", \"bits\": 4, "
                                            "\"group_size\": 128, \"checkpoint_format\": \"gptq\"}}") ||
            !writeParts(gq + "/model.safetensors",
                        {{"model.layers.0.mlp.down_proj.qweight", qs::DType::I32, {in / 8, out}, randomBytes(size_t(in * out / 2), 3)},
                         {"model.layers.0.mlp.down_proj.qzeros", qs::DType::I32, {groups, out / 8}, randomBytes(size_t(groups * out / 2), 5)},
                         {"model.layers.0.mlp.down_proj.scales", qs::DType::F16, {groups, out}, scales}}))
            return 1;
    }
    std::printf("bench_layouts: %lld x %lld logical elements (%.1f M), %d threads\n", (long long)rows, (long long)cols,
                double(rows * cols) / 1e6, omp_get_max_threads());
    std::printf("%-22s %12s %12s %8s %10s\n", "layout", "dequant (s)", "wq 5 fmts (s)", "ratio", "decode G/s");
    const std::pair<QString, std::string> cases[] = {{mx, "model.layers.0.mlp.experts.down_proj"},
                                                     {gq, "model.layers.0.mlp.down_proj.weight"}};
    const char* labels[] = {"mxfp4 (gpt-oss)", "int4 g128 (gptq)"};
    for (int i = 0; i < 2; ++i) {
        auto lp = qs::LocalProvider::open(cases[i].first);
        if (!lp) return 1;
        auto model = qs::Model::open(*lp);
        if (!model) {
            std::fprintf(stderr, "%s\n", model.error().message.c_str());
            return 1;
        }
        double checksum = 0, dq = 1e30;
        for (int k = 0; k < 3; ++k) dq = std::min(dq, decodeAll(**model, cases[i].second, &checksum));
        const double wq = analyse(cases[i].first, QString::fromStdString(cases[i].second), 2);
        std::printf("%-22s %12.3f %12.3f %7.1f%% %10.2f\n", labels[i], dq, wq, 100.0 * dq / wq,
                    double(rows * cols) / dq / 1e9);
    }
    return 0;
}
