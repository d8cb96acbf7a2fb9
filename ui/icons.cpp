#include "icons.h"

#include <QHash>
#include <QPainter>
#include <QPainterPath>
#include <QPixmap>

namespace qs {

namespace {

const QColor kInk(51, 65, 85);        // slate-700
const QColor kAccent(14, 165, 233);   // sky-500
const QColor kWarm(245, 158, 11);     // amber-500
const QColor kRed(220, 38, 38);

// Paints icon `id` into a 24 x 24 logical box.
void paint(QPainter& p, IconId id)
{
    QPen ink(kInk, 1.6, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
    QPen accent(kAccent, 1.8, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
    p.setPen(ink);
    p.setBrush(Qt::NoBrush);
    switch (id) {
    case IconId::App: {
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(31, 41, 55));
        p.drawRoundedRect(QRectF(1, 1, 22, 22), 5, 5);
        QPen dash(QColor(156, 163, 175), 1.2, Qt::DashLine, Qt::RoundCap);
        p.setPen(dash);
        p.drawLine(QPointF(4.5, 19), QPointF(19.5, 5));
        QPainterPath stair;
        stair.moveTo(4.5, 19);
        for (int i = 0; i < 4; ++i) {
            stair.lineTo(4.5 + 3.75 * (i + 1), 19 - 3.5 * i);
            stair.lineTo(4.5 + 3.75 * (i + 1), 19 - 3.5 * (i + 1));
        }
        p.setPen(QPen(QColor(56, 189, 248), 1.8, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.drawPath(stair);
        break;
    }
    case IconId::Open:
    case IconId::Group: {
        QPainterPath folder;
        folder.moveTo(3, 6.5);
        folder.lineTo(9, 6.5);
        folder.lineTo(11, 8.5);
        folder.lineTo(21, 8.5);
        folder.lineTo(21, 18.5);
        folder.lineTo(3, 18.5);
        folder.closeSubpath();
        p.setBrush(id == IconId::Group ? QColor(226, 232, 240) : QColor(224, 242, 254));
        p.drawPath(folder);
        if (id == IconId::Open) {
            p.setPen(accent);
            p.drawLine(QPointF(3, 11.5), QPointF(21, 11.5));
        }
        break;
    }
    case IconId::Demo: {
        QPainterPath flask;
        flask.moveTo(9.5, 3.5);
        flask.lineTo(9.5, 9.5);
        flask.lineTo(4.5, 19);
        flask.quadTo(4, 20.5, 5.8, 20.5);
        flask.lineTo(18.2, 20.5);
        flask.quadTo(20, 20.5, 19.5, 19);
        flask.lineTo(14.5, 9.5);
        flask.lineTo(14.5, 3.5);
        p.drawPath(flask);
        p.drawLine(QPointF(8, 3.5), QPointF(16, 3.5));
        QPainterPath liquid;
        liquid.moveTo(7.2, 14.5);
        liquid.lineTo(16.8, 14.5);
        liquid.lineTo(19.5, 19.5);
        liquid.lineTo(4.5, 19.5);
        liquid.closeSubpath();
        p.setPen(Qt::NoPen);
        p.setBrush(kAccent);
        p.drawPath(liquid);
        break;
    }
    case IconId::Go:
        p.setPen(accent);
        p.drawLine(QPointF(4, 12), QPointF(19, 12));
        p.drawLine(QPointF(13.5, 6.5), QPointF(19, 12));
        p.drawLine(QPointF(13.5, 17.5), QPointF(19, 12));
        break;
    case IconId::Analyze: {
        p.setPen(Qt::NoPen);
        p.setBrush(kInk);
        p.drawRect(QRectF(3, 13, 3, 7));
        p.drawRect(QRectF(7.5, 9, 3, 11));
        p.drawRect(QRectF(12, 5, 3, 15));
        QPainterPath play;
        play.moveTo(16.5, 10);
        play.lineTo(22, 14.5);
        play.lineTo(16.5, 19);
        play.closeSubpath();
        p.setBrush(QColor(22, 163, 74));
        p.drawPath(play);
        break;
    }
    case IconId::Export:
        p.drawLine(QPointF(4, 14), QPointF(4, 20));
        p.drawLine(QPointF(4, 20), QPointF(20, 20));
        p.drawLine(QPointF(20, 20), QPointF(20, 14));
        p.setPen(accent);
        p.drawLine(QPointF(12, 4), QPointF(12, 16));
        p.drawLine(QPointF(7.5, 8.5), QPointF(12, 4));
        p.drawLine(QPointF(16.5, 8.5), QPointF(12, 4));
        break;
    case IconId::Copy:
        p.setBrush(Qt::white);
        p.drawRoundedRect(QRectF(4, 4, 11, 13), 1.5, 1.5);
        p.setBrush(QColor(224, 242, 254));
        p.drawRoundedRect(QRectF(9, 8, 11, 13), 1.5, 1.5);
        break;
    case IconId::Refresh: {
        p.setPen(accent);
        p.drawArc(QRectF(4.5, 4.5, 15, 15), 40 * 16, 280 * 16);
        QPainterPath head;
        head.moveTo(19.5, 3.5);
        head.lineTo(19.5, 9);
        head.lineTo(14, 9);
        p.drawPath(head);
        break;
    }
    case IconId::Cancel:
        p.setPen(QPen(kRed, 1.6, Qt::SolidLine, Qt::RoundCap));
        p.drawEllipse(QRectF(3.5, 3.5, 17, 17));
        p.drawLine(QPointF(9, 9), QPointF(15, 15));
        p.drawLine(QPointF(15, 9), QPointF(9, 15));
        break;
    case IconId::Tensor:
        p.setPen(QPen(kInk, 1.2));
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j) {
                p.setBrush((i + j) % 2 ? QColor(186, 230, 253) : QColor(125, 211, 252));
                p.drawRect(QRectF(4.5 + 5 * i, 4.5 + 5 * j, 5, 5));
            }
        break;
    case IconId::Filter: {
        QPainterPath funnel;
        funnel.moveTo(3.5, 5);
        funnel.lineTo(20.5, 5);
        funnel.lineTo(14, 12.5);
        funnel.lineTo(14, 19);
        funnel.lineTo(10, 20.5);
        funnel.lineTo(10, 12.5);
        funnel.closeSubpath();
        p.setBrush(QColor(241, 245, 249));
        p.drawPath(funnel);
        Q_UNUSED(kWarm);
        break;
    }
    }
}

QPixmap render(IconId id, int size)
{
    QPixmap pm(size, size);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.scale(size / 24.0, size / 24.0);
    paint(p, id);
    return pm;
}

} // namespace

QIcon icon(IconId id)
{
    static QHash<int, QIcon> cache;
    auto it = cache.find(int(id));
    if (it != cache.end()) return *it;
    QIcon ic;
    for (int size : {16, 20, 24, 32, 48, 64, 128}) ic.addPixmap(render(id, size));
    cache.insert(int(id), ic);
    return ic;
}

} // namespace qs
