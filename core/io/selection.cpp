#include "io/selection.h"

#include <QRegularExpression>

#include <algorithm>

namespace qs {

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

} // namespace

bool naturalLess(std::string_view a, std::string_view b)
{
    size_t i = 0, j = 0;
    int tie = 0;  // first difference in leading zeros of equal-valued runs
    while (i < a.size() && j < b.size()) {
        if (isDigit(a[i]) && isDigit(b[j])) {
            const size_t si = i, sj = j;
            while (i < a.size() && isDigit(a[i])) ++i;
            while (j < b.size() && isDigit(b[j])) ++j;
            size_t za = si, zb = sj;
            while (za + 1 < i && a[za] == '0') ++za;
            while (zb + 1 < j && b[zb] == '0') ++zb;
            const size_t la = i - za, lb = j - zb;
            if (la != lb) return la < lb;
            const int c = a.substr(za, la).compare(b.substr(zb, lb));
            if (c != 0) return c < 0;
            if (tie == 0 && i - si != j - sj) tie = (i - si) < (j - sj) ? -1 : 1;
            continue;
        }
        if (a[i] != b[j]) return uint8_t(a[i]) < uint8_t(b[j]);
        ++i;
        ++j;
    }
    const bool aDone = i == a.size(), bDone = j == b.size();
    if (aDone && bDone) return tie < 0;
    return aDone;
}

void naturalSort(std::vector<std::string>& names)
{
    std::sort(names.begin(), names.end(),
              [](const std::string& x, const std::string& y) { return naturalLess(x, y); });
}

namespace {

// An FP8 scale that belongs to its weight ("W_scale_inv").
bool isFp8Scale(const std::string& name)
{
    static const std::string_view kSuffix = "_scale_inv";
    return name.size() >= kSuffix.size() && name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0;
}

} // namespace

bool isDefaultCandidate(const std::string& name)
{
    return QString::fromStdString(name).contains(QLatin1String("weight"), Qt::CaseInsensitive) && !isFp8Scale(name);
}

bool matchesQuery(const std::string& name, const QString& query)
{
    const QString n = QString::fromStdString(name).toLower();
    const QString q = query.toLower();
    if (!q.contains(QLatin1Char('.'))) return n.contains(q);
    const QStringList qp = q.split(QLatin1Char('.'), Qt::SkipEmptyParts);
    const QStringList np = n.split(QLatin1Char('.'));  // empty parts kept, as Python's split
    if (np.size() < qp.size()) return false;
    for (qsizetype k = 0; k < qp.size(); ++k)
        if (np[k] != qp[k]) return false;
    return true;
}

Result<std::vector<std::string>> selectTensors(const std::vector<std::string>& names,
                                               const QStringList& filterWords, const QString& regex,
                                               int64_t limit, bool all, const std::vector<std::string>* layoutWeights)
{
    const QString query = filterWords.join(QLatin1Char(' ')).trimmed();
    QRegularExpression re;
    const bool useRe = !regex.isEmpty();
    if (useRe) {
        re.setPattern(regex);
        if (!re.isValid())
            return Error::usage("Invalid --regex \"" + regex.toStdString() + "\": " + re.errorString().toStdString() +
                                " at offset " + std::to_string(re.patternErrorOffset()));
    }
    std::vector<std::string> out;
    if (query.isEmpty() && !useRe && !all) {
        // The original's default: the "weight" candidates, or every name if there are none.
        auto isLayoutWeight = [&](const std::string& n) {
            return layoutWeights && std::find(layoutWeights->begin(), layoutWeights->end(), n) != layoutWeights->end();
        };
        for (const auto& n : names)
            if (isDefaultCandidate(n) || isLayoutWeight(n)) out.push_back(n);
        if (out.empty()) out = names;
    } else {
        // What the user asked for, among all tensors: a FILTER (or --all) skips only the
        // FP8 scales that belong to their weight; --regex alone may name them too.
        std::vector<std::string> scales;
        for (const auto& n : names) {
            if (!query.isEmpty() && !matchesQuery(n, query)) continue;
            if (useRe && !re.match(QString::fromStdString(n)).hasMatch()) continue;
            ((!query.isEmpty() || all) && isFp8Scale(n) ? scales : out).push_back(n);
        }
        if (out.empty()) out = std::move(scales);  // asked for the scales themselves
    }
    if (out.empty()) {
        if (names.empty()) return Error::usage("The model has no tensors.");
        std::string what;
        if (!query.isEmpty()) what = " \"" + query.toStdString() + "\"";
        if (useRe) what += (query.isEmpty() ? " --regex \"" : " with --regex \"") + regex.toStdString() + "\"";
        return Error::usage("No tensors matched" + what + ".");
    }
    naturalSort(out);
    out.erase(std::unique(out.begin(), out.end()), out.end());
    if (limit > 0 && int64_t(out.size()) > limit) out.resize(size_t(limit));
    return out;
}

Result<std::vector<std::string>> selectTensors(const std::vector<std::string>& names,
                                               const std::vector<std::string>& filterWords,
                                               const std::string& regex, int64_t limit, bool all,
                                               const std::vector<std::string>* layoutWeights)
{
    QStringList words;
    for (const auto& w : filterWords) words.push_back(QString::fromStdString(w));
    return selectTensors(names, words, QString::fromStdString(regex), limit, all, layoutWeights);
}

} // namespace qs
