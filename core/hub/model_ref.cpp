#include "hub/model_ref.h"

#include "hub/hub_options.h"

#include <QDir>
#include <QFileInfo>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QStringList>
#include <QUrl>

namespace qs {

namespace {

Error usage(const QString& m) { return Error::usage(m.toStdString()); }

const QString kExpected = QStringLiteral(
    "expected a Hub repo id (org/name), a model URL such as https://huggingface.co/org/name[/tree/<rev>], "
    "hf://org/name[@rev], or a local folder / .safetensors file");

// First path segments of huggingface.co that are site pages, never a namespace.
bool reservedNamespace(const QString& s)
{
    static const QStringList reserved = {
        QStringLiteral("api"), QStringLiteral("collections"), QStringLiteral("docs"),
        QStringLiteral("organizations"), QStringLiteral("settings"), QStringLiteral("papers"),
        QStringLiteral("blog"), QStringLiteral("posts"), QStringLiteral("login"),
        QStringLiteral("join"), QStringLiteral("pricing"), QStringLiteral("new"),
        QStringLiteral("tasks"), QStringLiteral("learn"), QStringLiteral("chat"),
        QStringLiteral("search"), QStringLiteral("notifications"), QStringLiteral("enterprise"),
    };
    return reserved.contains(s.toLower());
}

// Splits an encoded path into percent-decoded segments (a %2F stays inside its segment).
QStringList decodedSegments(const QString& encodedPath)
{
    QStringList out;
    for (const QString& s : encodedPath.split(QLatin1Char('/'), Qt::SkipEmptyParts))
        out << QUrl::fromPercentEncoding(s.toUtf8());
    return out;
}

// segs[at...] = "<rev>[/path...]": the revision (refs/pr/N, refs/convert/X span three
// segments) and the remaining path segments.
void splitRevision(const QStringList& segs, qsizetype at, QString* rev, QStringList* rest)
{
    qsizetype n = 1;
    if (segs.size() >= at + 3 && segs[at] == QLatin1String("refs")
        && (segs[at + 1] == QLatin1String("pr") || segs[at + 1] == QLatin1String("convert")))
        n = 3;
    *rev = segs.mid(at, n).join(QLatin1Char('/'));
    *rest = segs.mid(at + n);
}

struct Parsed {
    QString repoId, revision, path;
    bool pathIsFile = false;  // blob/resolve/raw/blame: path names a file
};

// Applies a repo path (file or folder) to the reference.
Result<void> applyPath(ModelRef& ref, const QString& path, bool pathIsFile)
{
    const QStringList parts = path.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    for (const QString& p : parts)
        if (p == QLatin1String("..") || p == QLatin1String("."))
            return usage(QStringLiteral("Invalid path '%1' in the model reference: '.' and '..' are not allowed").arg(path));
    if (!pathIsFile) {
        ref.subPath = parts.join(QLatin1Char('/'));
        return {};
    }
    // A file URL: a .safetensors file is the model; any other file (index, config.json,
    // README) means the model in that file's folder.
    ref.subPath = parts.mid(0, parts.size() - 1).join(QLatin1Char('/'));
    if (!parts.isEmpty() && parts.last().endsWith(QLatin1String(".safetensors"), Qt::CaseInsensitive))
        ref.fileName = parts.last();
    return {};
}

// Path segments after the host (and endpoint prefix): [models/]ns/name[/action/rev[/path]].
Result<Parsed> parseRepoPath(QStringList segs, const QString& input)
{
    if (!segs.isEmpty() && (segs[0] == QLatin1String("datasets") || segs[0] == QLatin1String("spaces")))
        return usage(QStringLiteral("Only model repos are supported; '%1' is a %2 URL.")
                         .arg(input, segs[0] == QLatin1String("datasets") ? QStringLiteral("dataset")
                                                                          : QStringLiteral("space")));
    if (!segs.isEmpty() && segs[0] == QLatin1String("models")) segs.removeFirst();
    if (segs.size() < 2)
        return usage(QStringLiteral("'%1' is not a model repo URL: it has no org/name part (%2).").arg(input, kExpected));
    if (reservedNamespace(segs[0]))
        return usage(QStringLiteral("'%1' is a Hub site page, not a model repo (%2).").arg(input, kExpected));
    Parsed p;
    p.repoId = segs[0] + QLatin1Char('/') + segs[1];
    if (segs.size() == 2) return p;
    const QString action = segs[2];
    static const QStringList fileActions = {QStringLiteral("blob"), QStringLiteral("resolve"),
                                            QStringLiteral("raw"), QStringLiteral("blame")};
    if (action != QLatin1String("tree") && !fileActions.contains(action))
        return usage(QStringLiteral("'%1' is not a model page (/%2 is not a tree, blob or resolve link); %3.")
                         .arg(input, action, kExpected));
    if (segs.size() < 4)
        return usage(QStringLiteral("'%1' has no revision after /%2/.").arg(input, action));
    QStringList rest;
    splitRevision(segs, 3, &p.revision, &rest);
    p.path = rest.join(QLatin1Char('/'));
    p.pathIsFile = action != QLatin1String("tree");
    if (p.pathIsFile && p.path.isEmpty())
        return usage(QStringLiteral("'%1' has no file path after /%2/%3/.").arg(input, action, p.revision));
    return p;
}

// "host[:port]" of known Hub hosts; www. is accepted in front of each.
bool knownHost(const QString& host, int port, const QString& scheme, const QUrl& endpoint)
{
    QString h = host.toLower();
    if (h.startsWith(QLatin1String("www."))) h = h.mid(4);
    if (h == QLatin1String("huggingface.co") || h == QLatin1String("hf.co")
        || h == QLatin1String("hub-ci.huggingface.co"))
        return true;
    if (!endpoint.isValid() || endpoint.host().isEmpty()) return false;
    QString eh = endpoint.host().toLower();
    if (eh.startsWith(QLatin1String("www."))) eh = eh.mid(4);
    if (h != eh) return false;
    const int defaultPort = scheme == QLatin1String("http") ? 80 : 443;
    const int ep = endpoint.port(endpoint.scheme() == QLatin1String("http") ? 80 : 443);
    return port < 0 ? ep == defaultPort || endpoint.port() < 0 : port == ep;
}

Result<Parsed> parseUrl(const QString& t, const QString& endpointText)
{
    static const QRegularExpression schemeRe(QStringLiteral("^([A-Za-z][A-Za-z0-9+.-]*)://"));
    QString withScheme = t;
    const auto m = schemeRe.match(t);
    if (m.hasMatch()) {
        const QString s = m.captured(1).toLower();
        if (s != QLatin1String("http") && s != QLatin1String("https"))
            return usage(QStringLiteral("Unsupported URL scheme '%1' in '%2' (%3).").arg(m.captured(1), t, kExpected));
    } else {
        withScheme = QStringLiteral("https://") + t;
    }
    const QUrl url(withScheme, QUrl::TolerantMode);
    if (!url.isValid() || url.host().isEmpty())
        return usage(QStringLiteral("'%1' is not a valid URL (%2).").arg(t, kExpected));
    const QUrl endpoint(endpointText);
    if (!knownHost(url.host(), url.port(), url.scheme().toLower(), endpoint))
        return usage(QStringLiteral("Unsupported host: %1 (expected huggingface.co, hf.co, hub-ci.huggingface.co "
                                    "or the HF_ENDPOINT host).").arg(url.host()));
    QStringList segs = decodedSegments(url.path(QUrl::FullyEncoded));
    // Strip the endpoint's own path prefix (HF_ENDPOINT=https://host/mirror).
    const QStringList prefix = decodedSegments(endpoint.path(QUrl::FullyEncoded));
    if (!prefix.isEmpty() && url.host().compare(endpoint.host(), Qt::CaseInsensitive) == 0
        && segs.mid(0, prefix.size()) == prefix)
        segs = segs.mid(prefix.size());
    return parseRepoPath(segs, t);
}

// hf://[models/]ns/name[@rev][/path]
Result<Parsed> parseHfUri(const QString& t)
{
    QString rest = t.mid(5);
    for (qsizetype i = 0; i < rest.size(); ++i)  // drop a query or fragment (no regex compiled per call)
        if (rest[i] == QLatin1Char('?') || rest[i] == QLatin1Char('#')) {
            rest.truncate(i);
            break;
        }
    QStringList raw = rest.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    if (!raw.isEmpty() && (raw[0] == QLatin1String("datasets") || raw[0] == QLatin1String("spaces")))
        return usage(QStringLiteral("Only model repos are supported; '%1' is a %2 URI.")
                         .arg(t, raw[0] == QLatin1String("datasets") ? QStringLiteral("dataset")
                                                                     : QStringLiteral("space")));
    if (!raw.isEmpty() && raw[0] == QLatin1String("models")) raw.removeFirst();
    if (raw.size() < 2)
        return usage(QStringLiteral("'%1' has no org/name part (expected hf://org/name[@rev][/path]).").arg(t));
    Parsed p;
    QString name = raw[1];
    QStringList after = raw.mid(2);
    const qsizetype at = name.indexOf(QLatin1Char('@'));
    if (at >= 0) {
        QStringList revSegs = QStringList{name.mid(at + 1)} + after;
        name.truncate(at);
        for (QString& s : revSegs) s = QUrl::fromPercentEncoding(s.toUtf8());
        if (revSegs[0].isEmpty())
            return usage(QStringLiteral("'%1' has an empty revision after '@'.").arg(t));
        splitRevision(revSegs, 0, &p.revision, &after);
    } else {
        for (QString& s : after) s = QUrl::fromPercentEncoding(s.toUtf8());
    }
    p.repoId = QUrl::fromPercentEncoding(raw[0].toUtf8()) + QLatin1Char('/') + QUrl::fromPercentEncoding(name.toUtf8());
    p.path = after.join(QLatin1Char('/'));
    p.pathIsFile = p.path.endsWith(QLatin1String(".safetensors"), Qt::CaseInsensitive)
                || p.path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive);
    return p;
}

bool looksLikeLocalPath(const QString& t)
{
    return t.startsWith(QLatin1Char('/')) || t.startsWith(QLatin1String("./")) || t.startsWith(QLatin1String("../"))
        || t == QLatin1String(".") || t == QLatin1String("..") || t.startsWith(QLatin1Char('~'))
        || t.contains(QLatin1Char('\\')) || t.endsWith(QLatin1String(".safetensors"), Qt::CaseInsensitive);
}

} // namespace

QString ModelRef::display() const
{
    if (isLocal()) return localPath;
    QString s = repoId + QLatin1Char('@') + revision;
    if (!subPath.isEmpty()) s += QLatin1Char('/') + subPath;
    if (!fileName.isEmpty()) s += QLatin1Char('/') + fileName;
    return s;
}

Result<void> validateRepoId(const QString& id)
{
    auto bad = [&](const QString& why) {
        return usage(QStringLiteral("Invalid repo id '%1': %2 (%3).").arg(id, why, kExpected));
    };
    const QStringList parts = id.split(QLatin1Char('/'));
    if (parts.size() != 2) return bad(QStringLiteral("a repo id is namespace/name"));
    static const QRegularExpression chars(QStringLiteral("^[A-Za-z0-9._-]+$"));
    for (const QString& p : parts) {
        if (p.isEmpty()) return bad(QStringLiteral("empty namespace or name"));
        if (!chars.match(p).hasMatch()) return bad(QStringLiteral("only letters, digits, '.', '_' and '-' are allowed"));
        if (p.startsWith(QLatin1Char('.')) || p.startsWith(QLatin1Char('-')) || p.endsWith(QLatin1Char('.'))
            || p.endsWith(QLatin1Char('-')))
            return bad(QStringLiteral("a part may not start or end with '.' or '-'"));
        if (p.contains(QLatin1String("--")) || p.contains(QLatin1String("..")))
            return bad(QStringLiteral("'--' and '..' are not allowed"));
    }
    if (parts[1].size() > 96) return bad(QStringLiteral("the name is longer than 96 characters"));
    if (parts[1].endsWith(QLatin1String(".git"), Qt::CaseInsensitive)) return bad(QStringLiteral("the name may not end in .git"));
    return {};
}

Result<void> validateRevision(const QString& revision)
{
    if (revision.isEmpty()) return usage(QStringLiteral("Empty revision."));
    for (QChar c : revision)
        if (c.unicode() < 0x20 || c.unicode() == 0x7f || c == QLatin1Char('\\'))
            return usage(QStringLiteral("Invalid revision '%1': control characters and '\\' are not allowed.").arg(revision));
    for (const QString& s : revision.split(QLatin1Char('/')))
        if (s.isEmpty() || s == QLatin1String(".") || s == QLatin1String(".."))
            return usage(QStringLiteral("Invalid revision '%1': empty, '.' or '..' path segments are not allowed.").arg(revision));
    return {};
}

Result<ModelRef> parseModelReference(const QString& text, const QString& revisionOption, const QString& endpoint)
{
    const QString t = text.trimmed();
    const QString opt = revisionOption.trimmed();
    if (t.isEmpty()) return usage(QStringLiteral("Empty repo value: %1.").arg(kExpected));
    const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    QString ep = endpoint;
    if (ep.isEmpty()) ep = HubOptions::fromEnvironment(env).endpoint;

    // 1. An existing local folder or file wins (even if it also looks like org/name).
    static const QRegularExpression schemeRe(QStringLiteral("^[A-Za-z][A-Za-z0-9+.-]*://"));
    if (!schemeRe.match(t).hasMatch()) {
        const QFileInfo fi(expandUserPath(t, env));
        if (fi.exists()) {
            if (!opt.isEmpty() && opt != QLatin1String("main"))
                return usage(QStringLiteral("--revision %1 applies to Hub repos only; '%2' is a local path.").arg(opt, t));
            ModelRef ref;
            ref.kind = ModelRef::Kind::Local;
            ref.localPath = QDir::cleanPath(fi.absoluteFilePath());
            ref.revision = QStringLiteral("local");
            if (fi.isDir()) return ref;
            if (!fi.fileName().endsWith(QLatin1String(".safetensors"), Qt::CaseInsensitive))
                return usage(QStringLiteral("'%1' is a file but not a .safetensors file; give the model folder or a .safetensors file.").arg(t));
            ref.localIsFile = true;
            return ref;
        }
    }

    // 2. hf://, URLs, plain ids.
    Parsed p;
    if (t.startsWith(QLatin1String("hf://"), Qt::CaseInsensitive)) {
        auto r = parseHfUri(t);
        if (!r) return r.error();
        p = *r;
    } else if (schemeRe.match(t).hasMatch()) {
        auto r = parseUrl(t, ep);
        if (!r) return r.error();
        p = *r;
    } else {
        const QString first = t.section(QLatin1Char('/'), 0, 0);
        const QUrl epUrl(ep);
        const QUrl asUrl(QStringLiteral("https://") + first);
        if (first.contains(QLatin1Char('.')) && asUrl.isValid()
            && knownHost(asUrl.host(), asUrl.port(), QStringLiteral("https"), epUrl)) {
            auto r = parseUrl(t, ep);
            if (!r) return r.error();
            p = *r;
        } else {
            if (looksLikeLocalPath(t))
                return usage(QStringLiteral("Local path not found: '%1'.").arg(t));
            if (!t.contains(QLatin1Char('/')))
                return usage(QStringLiteral("'%1' is neither an existing local path nor a Hub repo id: repo ids are "
                                            "namespace/name (e.g. openai-community/%1).").arg(t));
            p.repoId = t;
        }
    }
    QS_TRY(validateRepoId(p.repoId));

    ModelRef ref;
    ref.kind = ModelRef::Kind::Hub;
    ref.repoId = p.repoId;
    if (p.revision.isEmpty()) {
        ref.revision = opt.isEmpty() ? QStringLiteral("main") : opt;
    } else if (opt.isEmpty() || opt == p.revision) {
        ref.revision = p.revision;
    } else {
        return usage(QStringLiteral("Conflicting revisions: '%1' names revision '%2' but --revision is '%3'.")
                         .arg(t, p.revision, opt));
    }
    QS_TRY(validateRevision(ref.revision));
    QS_TRY(applyPath(ref, p.path, p.pathIsFile));
    return ref;
}

} // namespace qs
