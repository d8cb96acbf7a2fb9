#include "error_text.h"

#include <QObject>

namespace qs {

QString errorAdvice(const Error& error)
{
    const QString m = QString::fromStdString(error.message).toLower();
    auto has = [&](const char* s) { return m.contains(QLatin1String(s)); };
    if (has("cancelled")) return QObject::tr("The job was cancelled; start it again when you are ready.");
    // One situation, one piece of advice; the core's message already names the file,
    // repository or URL. Checked in this order because messages mention more than one
    // (a network failure suggests HF_HUB_OFFLINE=1; "not found" repositories mention tokens).
    if (has("hf_hub_offline is set"))
        return QObject::tr("Offline mode is on (HF_HUB_OFFLINE): only cached files open. Unset it to download, or "
                           "open a model that is in the cache.");
    if (has("connection") || has("timed out") || has("timeout") || has("network") || has("unreachable") ||
        has("host not found") || has("name resolution") || has("ssl") || has("tls") || has("set hf_hub_offline=1"))
        return QObject::tr("The Hub could not be reached: check the network connection (and proxy), then press F5. "
                           "Models already in the cache open without it.");
    if (has("gated") || has("401") || has("403") || has("unauthori") || has("forbidden"))
        return QObject::tr("This repository needs access: accept its terms on the Hub and set HF_TOKEN (or log in "
                           "with huggingface-cli), then press F5.");
    if (has("no .safetensors") || has("no safetensors"))
        return QObject::tr("Choose a folder that holds .safetensors files (or one .safetensors file).");
    if (has("dataset") || has("spaces") || has("space url") || has("a space"))
        return QObject::tr("Only model repositories can be opened, not datasets or spaces.");
    if (has("no such file") || has("does not exist") || has("not found") || has("404"))
        return QObject::tr("Check the spelling of the path or repo id (and the revision), or pick the folder with "
                           "Open folder… (Ctrl+O).");
    if (has("header") || has("json") || has("offset") || has("dtype") || has("malformed") || has("expected"))
        return QObject::tr("The file is damaged or not a valid safetensors checkpoint; re-download it or choose "
                           "another model.");
    if (error.exitCode == 1) return QObject::tr("Check what you typed and try again.");
    return QObject::tr("Try again (F5), or open another model.");
}

QString errorHtml(const QString& context, const Error& error)
{
    return QStringLiteral("<b>%1</b><br>%2<br><i>%3</i>")
        .arg(context.toHtmlEscaped(), QString::fromStdString(error.message).toHtmlEscaped(),
             errorAdvice(error).toHtmlEscaped());
}

} // namespace qs
