// Figure export of plot widgets: PDF starts with %PDF, SVG parses as XML with an <svg> root, PNG
// loads at the pixel size of mm x DPI with data drawn in palette colours; the on-screen fonts
// come back after an export with another font size; the dialog hands back what it shows.
#include <QDoubleSpinBox>
#include <QFile>
#include <QImage>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>
#include <cmath>

#include "widgets/figure_export.h"
#include "widgets/plots/heatmap_plot.h"
#include "widgets/plots/line_plot.h"
#include "widgets/plots/qcustomplot_include.h"

using namespace kvwb::widgets;

class TestFigureExport : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir m_dir;

  static LineChart chart() {
    LineChart c;
    c.title = "test";
    c.xLabel = "token";
    c.yLabel = "value";
    for (int k = 0; k < 2; ++k) {
      Series s;
      for (int i = 0; i < 100; ++i) {
        s.x.push_back(i);
        s.y.push_back(std::sin(i * 0.1 + k));
      }
      s.label = k ? "V" : "K";
      s.colour = k;
      c.series.push_back(s);
    }
    return c;
  }
  QByteArray read(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
  }

 private Q_SLOTS:
  void pdf() {
    LinePlot plot;
    plot.setChart(chart());
    const QString path = m_dir.filePath(QStringLiteral("line.pdf"));
    QString error;
    QVERIFY2(exportPlot(plot, path, FigureOptions{}, &error), qPrintable(error));
    QVERIFY(read(path).startsWith("%PDF"));
  }

  void svg() {
    HeatmapPlot plot;
    plot.setData({2, 3, "head", "layer", "value", false, {{"K", 0, {1, 2, 3, 4, 5, 6}}}});
    const QString path = m_dir.filePath(QStringLiteral("map.svg"));
    QVERIFY(exportPlot(plot, path, FigureFormat::Svg, FigureOptions{90, 60, 300, {}, 0}));
    QXmlStreamReader xml(read(path));
    while (!xml.atEnd() && !xml.isStartElement()) xml.readNext();
    QCOMPARE(xml.name().toString(), QStringLiteral("svg"));
    while (!xml.atEnd()) xml.readNext();
    QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
  }

  void pngSizeAndPalette() {
    LinePlot plot;
    plot.setChart(chart());
    const FigureOptions options{80, 50, 150, QStringLiteral("DejaVu Serif"), 10};
    const QString path = m_dir.filePath(QStringLiteral("line.png"));
    QVERIFY(exportPlot(plot, path, options));
    const QImage image(path);
    QCOMPARE(image.size(), QSize(std::lround(80 / 25.4 * 150), std::lround(50 / 25.4 * 150)));
    QCOMPARE(image.dotsPerMeterX(), std::lround(150 / 0.0254));
    int blue = 0;  // Okabe-Ito blue (K) pixels
    for (int y = 0; y < image.height(); ++y)
      for (int x = 0; x < image.width(); ++x)
        blue += image.pixelColor(x, y) == PlotWidget::paletteColour(0);
    QVERIFY(blue > 50);
    // The export's font override is undone on the widget.
    QCOMPARE(plot.canvas()->xAxis->tickLabelFont().pointSizeF(), 8.0);
    QVERIFY(plot.canvas()->xAxis->tickLabelFont().family() != QStringLiteral("DejaVu Serif") ||
            QFont().family() == QStringLiteral("DejaVu Serif"));
  }

  void rejectsUnknownSuffix() {
    LinePlot plot;
    QString error;
    QVERIFY(!exportPlot(plot, m_dir.filePath(QStringLiteral("x.jpg")), FigureOptions{}, &error));
    QVERIFY(error.contains(QStringLiteral(".pdf")));
  }

  void dialog() {
    ExportFigureDialog d;
    d.setPath(m_dir.filePath(QStringLiteral("f.pdf")));
    d.findChild<QSpinBox*>()->setValue(200);
    const FigureOptions o = d.options();
    QCOMPARE(o.dpi, 200);
    QVERIFY(o.widthMm > 0 && o.heightMm > 0 && o.fontPt > 0);
  }
};

QTEST_MAIN(TestFigureExport)
#include "test_figure_export.moc"
