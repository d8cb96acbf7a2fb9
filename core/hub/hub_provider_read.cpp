// HubProvider: reading byte ranges (range cache -> HF cache snapshot -> HTTP).
#include "hub/hub_provider.h"

#include <QFileInfo>

#include <algorithm>
#include <cstring>
#include <new>

namespace qs {

namespace {

bool isSafetensors(const QString& p) { return p.endsWith(QLatin1String(".safetensors"), Qt::CaseInsensitive); }

struct Interval {
    uint64_t a = 0, b = 0;  // [a, b)
};

constexpr uint64_t kMinPart = 8ull << 20;  // parts of a split range are at least 8 MiB

} // namespace

ByteViewPtr HubProvider::hfView(const QString& full)
{
    int64_t expected = -1;
    {
        std::lock_guard<std::mutex> lk(m_mutex);
        if (auto it = m_hfViews.find(full); it != m_hfViews.end()) return it->second;
        if (auto it = m_listing.files.find(full); it != m_listing.files.end()) expected = it->second.size;
    }
    ByteViewPtr v;
    const QString local = m_hf.snapshotFile(m_commit, full);
    // Only a complete copy counts (huggingface_hub never leaves partial files there, but
    // another tool might).
    if (!local.isEmpty() && (expected < 0 || QFileInfo(local).size() == expected)) v = MappedFileView::open(local);
    std::lock_guard<std::mutex> lk(m_mutex);
    m_hfViews[full] = v;
    return v;
}

ByteViewPtr HubProvider::assemble(const QString& full, uint64_t offset, uint64_t length, const std::vector<Piece>& extra)
{
    const uint64_t end = offset + length;
    auto overlaps = [&](uint64_t a, uint64_t n) { return a < end && a + n > offset; };
    std::vector<Piece> cands;
    for (const Piece& p : extra)
        if (overlaps(p.offset, p.length)) cands.push_back(p);
    {
        std::lock_guard<std::mutex> lk(m_mutex);
        if (auto it = m_mem.find(full); it != m_mem.end())
            for (const Piece& p : it->second)
                if (overlaps(p.offset, p.length)) cands.push_back(p);
    }
    for (const auto& s : m_cache.segments(m_commit, full))
        if (overlaps(s.offset, s.length)) cands.push_back(Piece{s.offset, s.length, nullptr});

    // Greedy cover of [offset, end): at each position the piece reaching farthest.
    std::vector<std::pair<Piece, uint64_t>> chosen;  // piece, end of the part taken from it
    for (uint64_t pos = offset; pos < end;) {
        const Piece* best = nullptr;
        for (const Piece& c : cands)
            if (c.offset <= pos && c.offset + c.length > pos && (!best || c.offset + c.length > best->offset + best->length))
                best = &c;
        if (!best) return nullptr;
        const uint64_t e = std::min(end, best->offset + best->length);
        chosen.emplace_back(*best, e);
        pos = e;
    }
    for (auto& [p, e] : chosen) {
        if (!p.view) p.view = m_cache.mapSegment(m_commit, full, RangeCache::Segment{p.offset, p.length});
        if (!p.view) return nullptr;
    }
    if (chosen.size() == 1) {
        const Piece& p = chosen.front().first;
        return std::make_shared<SliceView>(p.view, offset - p.offset, length);
    }
    std::shared_ptr<OwnedBuffer> buf;
    try {
        buf = std::make_shared<OwnedBuffer>(length);
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
    uint64_t pos = offset;
    for (const auto& [p, e] : chosen) {
        std::memcpy(buf->mutableData() + (pos - offset), p.view->data() + (pos - p.offset), e - pos);
        pos = e;
    }
    return buf;
}

Result<ByteViewPtr> HubProvider::read(const QString& path, uint64_t offset, uint64_t length, Progress* progress)
{
    auto full = checkedPath(path);
    if (!full) return full.error();
    auto size = sizeOf(*full);
    if (!size) return size.error();
    if (offset > *size || length > *size - offset)
        return Error::model(QStringLiteral("%1: bytes %2..%3 requested but '%4' has %5 bytes.")
                                .arg(describe()).arg(offset).arg(offset + length).arg(*full).arg(*size).toStdString());
    if (length == 0) return ByteViewPtr(std::make_shared<BufferView>(std::vector<uint8_t>{}));
    if (auto v = assemble(*full, offset, length, {})) return v;
    if (auto hv = hfView(*full)) return ByteViewPtr(std::make_shared<SliceView>(hv, offset, length));
    if (m_opt.offline) return offlineMiss(*full, offset, length);

    std::vector<std::pair<QString, Piece>> fetched;
    QS_TRY(fetch({Want{*full, offset, length}}, progress, &fetched));
    std::vector<Piece> mine;
    for (const auto& [p, piece] : fetched)
        if (p == *full) mine.push_back(piece);
    if (auto v = assemble(*full, offset, length, mine)) return v;
    return Error::model(QStringLiteral("%1: internal error: the fetched bytes do not cover %2 bytes %3..%4")
                            .arg(describe(), *full).arg(offset).arg(offset + length).toStdString());
}

Result<void> HubProvider::prefetch(const std::vector<ByteRange>& ranges, Progress* progress)
{
    if (m_opt.offline || ranges.empty()) return {};  // a hint; read() reports misses
    std::vector<Want> wants;
    for (const ByteRange& r : ranges) {
        auto full = checkedPath(r.file);
        if (!full) return full.error();
        auto size = sizeOf(*full);
        if (!size) return size.error();
        if (r.offset > *size || r.length > *size - r.offset)
            return Error::model(QStringLiteral("%1: bytes %2..%3 requested but '%4' has %5 bytes.")
                                    .arg(describe()).arg(r.offset).arg(r.offset + r.length).arg(*full).arg(*size).toStdString());
        if (r.length == 0 || hfView(*full) || assemble(*full, r.offset, r.length, {})) continue;
        wants.push_back(Want{*full, r.offset, r.length});
    }
    if (wants.empty()) return {};
    return fetch(wants, progress, nullptr);
}

Result<void> HubProvider::fetch(const std::vector<Want>& wants, Progress* progress,
                                std::vector<std::pair<QString, Piece>>* fetched)
{
    HttpClient* c = client();
    if (!c) return Error::model("internal error: network fetch while offline");

    // 1. What is missing, per file: header reads grow to one probe, cached parts drop out.
    std::map<QString, std::vector<Interval>> byFile;
    std::map<QString, uint64_t> sizes;
    for (const Want& w : wants) {
        auto size = sizeOf(w.path);
        if (!size) return size.error();
        sizes[w.path] = *size;
        uint64_t a = w.offset, b = w.offset + w.length;
        if (isSafetensors(w.path) && b <= m_opt.headerProbeBytes) {
            a = 0;
            b = std::min<uint64_t>(*size, m_opt.headerProbeBytes);
        }
        if (hfView(w.path)) continue;
        std::vector<Interval> covered;
        {
            std::lock_guard<std::mutex> lk(m_mutex);
            if (auto it = m_mem.find(w.path); it != m_mem.end())
                for (const Piece& p : it->second) covered.push_back({p.offset, p.offset + p.length});
        }
        for (const auto& s : m_cache.segments(m_commit, w.path)) covered.push_back({s.offset, s.offset + s.length});
        std::sort(covered.begin(), covered.end(), [](const Interval& x, const Interval& y) { return x.a < y.a; });
        uint64_t pos = a;
        for (const Interval& cv : covered) {
            if (pos >= b) break;
            if (cv.b <= pos) continue;
            if (cv.a > pos) byFile[w.path].push_back({pos, std::min(cv.a, b)});
            pos = std::max(pos, cv.b);
        }
        if (pos < b) byFile[w.path].push_back({pos, b});
    }

    // 2. Merge overlapping and adjacent ranges into jobs; split large jobs into parts.
    struct Job {
        QString path;
        Interval iv;
        std::shared_ptr<OwnedBuffer> buf;
    };
    std::vector<Job> jobs;
    for (auto& [path, ivs] : byFile) {
        std::sort(ivs.begin(), ivs.end(), [](const Interval& x, const Interval& y) { return x.a < y.a; });
        for (const Interval& iv : ivs) {
            if (!jobs.empty() && jobs.back().path == path && iv.a <= jobs.back().iv.b)
                jobs.back().iv.b = std::max(jobs.back().iv.b, iv.b);
            else
                jobs.push_back(Job{path, iv, nullptr});
        }
    }
    if (jobs.empty()) return {};
    std::vector<HttpRequest> reqs;
    std::vector<size_t> jobOf;
    for (size_t j = 0; j < jobs.size(); ++j) {
        Job& job = jobs[j];
        const uint64_t len = job.iv.b - job.iv.a;
        try {
            job.buf = std::make_shared<OwnedBuffer>(len);
        } catch (const std::bad_alloc&) {
            return Error::model(QStringLiteral("%1: cannot allocate %2 bytes for '%3'").arg(m_ref.repoId).arg(len).arg(job.path).toStdString());
        }
        uint64_t parts = 1;
        if (len > m_opt.splitThreshold)
            parts = std::clamp<uint64_t>((len + kMinPart - 1) / kMinPart, 2, uint64_t(std::max(2, m_opt.maxParallel)));
        const uint64_t partLen = (len + parts - 1) / parts;
        QUrl cdn;
        {
            std::lock_guard<std::mutex> lk(m_mutex);
            if (auto it = m_cdn.find(job.path); it != m_cdn.end()) cdn = it->second;
        }
        for (uint64_t off = 0; off < len; off += partLen) {
            HttpRequest r;
            r.url = cdn.isValid() ? cdn : resolveUrl(job.path);
            if (cdn.isValid()) r.fallbackUrl = resolveUrl(job.path);  // the signed URL may have expired
            r.ranged = true;
            r.rangeStart = job.iv.a + off;
            r.rangeLength = std::min(partLen, len - off);
            r.dest = job.buf->mutableData() + off;
            r.followOtherHosts = true;
            r.what = QStringLiteral("%1 bytes %2-%3").arg(job.path).arg(r.rangeStart).arg(r.rangeStart + r.rangeLength - 1);
            reqs.push_back(std::move(r));
            jobOf.push_back(j);
        }
    }

    // 3. Run them all (bounded parallelism in the client) and check every answer.
    const std::vector<HttpRequest> sent = reqs;
    auto results = c->run(std::move(reqs), progress);
    for (size_t i = 0; i < results.size(); ++i) {
        const Job& job = jobs[jobOf[i]];
        if (!results[i]) {
            const Error& e = results[i].error();
            return Error{(m_ref.repoId + QStringLiteral(": ")).toStdString() + e.message, e.exitCode};
        }
        const HttpResponse& r = *results[i];
        if (r.status != 206 && r.status != 200) {
            HubErrorContext ctx = context(job.path, sent[i].what);
            ctx.retries = (r.status == 408 || r.status == 429 || r.status >= 500) ? m_opt.maxRetries : 0;
            return hubHttpError(r, ctx);
        }
        if (r.contentRangeTotal >= 0 && uint64_t(r.contentRangeTotal) != sizes[job.path])
            return Error::model(QStringLiteral("%1: '%2' has %3 bytes on the server but %4 in the listing of commit %5.")
                                    .arg(m_ref.repoId, job.path).arg(r.contentRangeTotal).arg(sizes[job.path]).arg(m_commit)
                                    .toStdString());
        if (!c->isHubOrigin(r.finalUrl)) {
            std::lock_guard<std::mutex> lk(m_mutex);
            m_cdn[job.path] = r.finalUrl;
        }
    }

    // 4. Keep them: the range cache (or memory, for prefetches when caching is off).
    for (const Job& job : jobs) {
        const Piece piece{job.iv.a, job.iv.b - job.iv.a, job.buf};
        bool stored = false;
        if (m_opt.cacheRanges)
            stored = m_cache.storeSegment(m_commit, job.path, piece.offset, job.buf->data(), piece.length).ok();
        if (!stored && !fetched) {
            std::lock_guard<std::mutex> lk(m_mutex);
            m_mem[job.path].push_back(piece);
        }
        if (fetched) fetched->emplace_back(job.path, piece);
    }
    return {};
}

} // namespace qs
