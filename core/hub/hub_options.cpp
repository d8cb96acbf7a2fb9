#include "hub/hub_options.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QUrl>

namespace qs {

bool envTruthy(const QString& value)
{
    const QString v = value.trimmed().toUpper();
    return v == QLatin1String("1") || v == QLatin1String("ON") || v == QLatin1String("YES")
        || v == QLatin1String("TRUE");
}

QString expandUserPath(const QString& path, const QProcessEnvironment& env)
{
    QString p = path;
    if (p == QLatin1String("~") || p.startsWith(QLatin1String("~/"))) {
        const QString home = env.value(QStringLiteral("HOME"), QDir::homePath());
        p = home + p.mid(1);
    }
    static const QRegularExpression var(QStringLiteral(R"(\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*))"));
    QString out;
    qsizetype last = 0;
    auto it = var.globalMatch(p);
    while (it.hasNext()) {
        const auto m = it.next();
        out += p.mid(last, m.capturedStart() - last);
        const QString name = m.captured(1).isEmpty() ? m.captured(2) : m.captured(1);
        out += env.contains(name) ? env.value(name) : m.captured(0);
        last = m.capturedEnd();
    }
    out += p.mid(last);
    return out;
}

namespace {

int timeoutMs(const QProcessEnvironment& env, const char* name, int fallbackMs)
{
    bool ok = false;
    const double s = env.value(QString::fromLatin1(name)).trimmed().toDouble(&ok);
    if (!ok || !(s > 0) || s > 86400) return fallbackMs;
    return int(s * 1000.0);
}

QString stripToken(const QString& t)
{
    return t.trimmed();  // whitespace and newlines around the token are dropped
}

} // namespace

HubOptions HubOptions::fromEnvironment()
{
    return fromEnvironment(QProcessEnvironment::systemEnvironment());
}

HubOptions HubOptions::fromEnvironment(const QProcessEnvironment& env)
{
    HubOptions o;
    QString endpoint = env.value(QStringLiteral("HF_ENDPOINT")).trimmed();
    while (endpoint.endsWith(QLatin1Char('/'))) endpoint.chop(1);
    if (!endpoint.isEmpty()) o.endpoint = endpoint;

    const QString home = env.value(QStringLiteral("HOME"), QDir::homePath());
    QString hfHome = env.value(QStringLiteral("HF_HOME")).trimmed();
    if (hfHome.isEmpty()) {
        const QString xdg = env.value(QStringLiteral("XDG_CACHE_HOME")).trimmed();
        hfHome = (xdg.isEmpty() ? home + QStringLiteral("/.cache") : expandUserPath(xdg, env))
               + QStringLiteral("/huggingface");
    }
    o.hfHome = QDir::cleanPath(expandUserPath(hfHome, env));

    // HF_HUB_CACHE > HUGGINGFACE_HUB_CACHE > $HF_HOME/hub (HF_HOME already folds in XDG).
    QString hubCache = env.value(QStringLiteral("HF_HUB_CACHE")).trimmed();
    if (hubCache.isEmpty()) hubCache = env.value(QStringLiteral("HUGGINGFACE_HUB_CACHE")).trimmed();
    if (hubCache.isEmpty()) hubCache = o.hfHome + QStringLiteral("/hub");
    o.hfHubCache = QDir::cleanPath(expandUserPath(hubCache, env));

    // Token: first non-empty source wins.
    static const char* const tokenVars[] = {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_HUB_TOKEN"};
    for (const char* var : tokenVars) {
        const QString t = stripToken(env.value(QString::fromLatin1(var)));
        if (!t.isEmpty()) {
            o.token = t;
            o.tokenSource = QString::fromLatin1(var);
            break;
        }
    }
    if (o.token.isEmpty()) {
        QString path = env.value(QStringLiteral("HF_TOKEN_PATH")).trimmed();
        path = path.isEmpty() ? o.hfHome + QStringLiteral("/token") : expandUserPath(path, env);
        QFile f(path);
        if (f.size() < 64 * 1024 && f.open(QIODevice::ReadOnly)) {
            const QString t = stripToken(QString::fromUtf8(f.readAll()));
            if (!t.isEmpty()) {
                o.token = t;
                o.tokenSource = QStringLiteral("token file ") + QDir::cleanPath(path);
            }
        }
    }

    o.offline = envTruthy(env.value(QStringLiteral("HF_HUB_OFFLINE")))
             || envTruthy(env.value(QStringLiteral("TRANSFORMERS_OFFLINE")));
    o.metadataTimeoutMs = timeoutMs(env, "HF_HUB_ETAG_TIMEOUT", o.metadataTimeoutMs);
    o.downloadTimeoutMs = timeoutMs(env, "HF_HUB_DOWNLOAD_TIMEOUT", o.downloadTimeoutMs);

    QString generic = QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation);
    if (generic.isEmpty()) generic = home + QStringLiteral("/.cache");
    o.cacheDir = QDir::cleanPath(generic + QStringLiteral("/quantscope"));
    return o;
}

QString HubOptions::describeToken() const
{
    if (token.isEmpty()) return QStringLiteral("no token");
    return tokenSource.isEmpty() ? QStringLiteral("a token") : tokenSource;
}

QString HubOptions::endpointHost() const
{
    const QUrl u(endpoint);
    if (u.port() >= 0) return u.host() + QLatin1Char(':') + QString::number(u.port());
    return u.host();
}

} // namespace qs
