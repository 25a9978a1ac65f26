/// The dashboard's page, script and style, served by the daemon itself (no CDN, no inline
/// script or style: the Content-Security-Policy allows only these files).
enum DashboardAssets {
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    static func login(token: String, message: String?) -> String {
        """
        <!doctype html>
        <html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Hotline — đăng nhập / log in</title><link rel="stylesheet" href="/assets/app.css"></head>
        <body class="login"><main>
        <h1>Hotline</h1><p>Bảng điều khiển của tỉnh · Province dashboard</p>
        <form method="post" action="/login">
        <input type="hidden" name="csrf" value="\(escape(token))">
        <label>Tên · Name <input id="user" name="user" autocomplete="username" required maxlength="64"></label>
        <label>Mật khẩu · Password <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"></label>
        <button id="login" type="submit">Đăng nhập · Log in</button>
        </form>
        \(message.map { "<p class=\"error\" id=\"error\">\(escape($0))</p>" } ?? "")
        </main></body></html>

        """
    }

    static let page = """
        <!doctype html>
        <html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Hotline — tỉnh · province</title><link rel="stylesheet" href="/assets/app.css">
        <script src="/assets/app.js" defer></script></head>
        <body>
        <header><h1>Hotline</h1><span id="generated"></span><span id="operator"></span>
        <form method="post" action="/logout"><input type="hidden" name="csrf" id="logout-csrf" value=""><button type="submit">Đăng xuất · Log out</button></form>
        </header>
        <section id="totals">
        <div class="total"><b id="total-open">–</b> đang mở · open</div>
        <div class="total overdue"><b id="total-overdue">–</b> quá hạn · overdue</div>
        <div class="total escalated"><b id="total-escalated">–</b> đã chuyển cấp · escalated</div>
        </section>
        <div class="columns">
        <section><h2>Bản đồ · Map</h2>
        <svg id="map" viewBox="0 0 600 600" role="img" aria-label="Các xã · Communes"></svg>
        <p class="legend"><span class="dot overdue"></span> quá hạn · overdue <span class="dot escalated"></span> đã chuyển cấp · escalated
        <span class="dot open"></span> đang mở · open <span class="dot none"></span> không có · none. Kích thước theo số vụ đang mở · size by open incidents.</p>
        </section>
        <section><h2>Quá hạn · Overdue (<span id="overdue-count">0</span>)</h2>
        <table id="overdue"><thead><tr><th>Vụ · Incident</th><th>Mức · Severity</th><th>Cấp · Level</th><th>Xã · Commune</th>
        <th>Hạn · Due (UTC+7)</th><th>Trễ · Late (min)</th><th>Gọi lại · Callback</th></tr></thead><tbody></tbody></table>
        <h2>Thời gian tiếp nhận · Time to acknowledge, <span id="month"></span></h2>
        <table id="ack"><thead><tr><th>Mức · Severity</th><th>Số vụ · Count</th><th>Trung vị · Median (min)</th><th>P90 (min)</th></tr></thead><tbody></tbody></table>
        </section>
        </div>
        <section><h2>Báo cáo năm · Annual report <button type="button" id="lang-vi">Tiếng Việt</button> <button type="button" id="lang-en">English</button></h2>
        <pre id="annual"></pre></section>
        <p id="status"></p>
        </body></html>

        """

    static let script = #"""
        'use strict';
        (function () {
          let lang = 'vi';
          let last = null;
          const $ = (id) => document.getElementById(id);
          const svgNS = 'http://www.w3.org/2000/svg';
          function local(iso) {
            const d = new Date(Date.parse(iso) + 7 * 3600 * 1000);
            return d.toISOString().slice(0, 16).replace('T', ' ');
          }
          function minutes(s) { return s === null ? '–' : (s / 60).toFixed(1); }
          function cell(row, value, cls) {
            const td = document.createElement('td');
            td.textContent = String(value);
            if (cls) td.className = cls;
            row.appendChild(td);
          }
          function drawMap(communes) {
            const svg = $('map');
            while (svg.firstChild) svg.removeChild(svg.firstChild);
            if (communes.length === 0) return;
            const lats = communes.map((c) => c.lat), lons = communes.map((c) => c.lon);
            const minLat = Math.min(...lats), maxLat = Math.max(...lats);
            const minLon = Math.min(...lons), maxLon = Math.max(...lons);
            const k = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);
            const scale = 540 / Math.max((maxLon - minLon) * k, maxLat - minLat, 1e-6);
            for (const c of communes) {
              const circle = document.createElementNS(svgNS, 'circle');
              circle.setAttribute('cx', (30 + (c.lon - minLon) * k * scale).toFixed(1));
              circle.setAttribute('cy', (30 + (maxLat - c.lat) * scale).toFixed(1));
              circle.setAttribute('r', c.open > 0 ? (4 + Math.sqrt(c.open) * 2).toFixed(1) : '2.5');
              circle.setAttribute('class', c.overdue > 0 ? 'overdue' : c.escalated > 0 ? 'escalated' : c.open > 0 ? 'open' : 'none');
              circle.setAttribute('data-code', c.code);
              circle.setAttribute('data-open', String(c.open));
              circle.setAttribute('data-overdue', String(c.overdue));
              circle.setAttribute('data-escalated', String(c.escalated));
              const title = document.createElementNS(svgNS, 'title');
              title.textContent = c.name + ' (' + c.district + '): ' + c.open + ' đang mở · open, ' + c.overdue +
                ' quá hạn · overdue, ' + c.escalated + ' đã chuyển cấp · escalated';
              circle.appendChild(title);
              svg.appendChild(circle);
            }
          }
          function render(d) {
            last = d;
            $('generated').textContent = 'Cập nhật · updated ' + local(d.generated_at) + ' (UTC+7)';
            $('operator').textContent = d.operator;
            $('logout-csrf').value = d.csrf;
            $('total-open').textContent = d.totals.open;
            $('total-overdue').textContent = d.totals.overdue;
            $('total-escalated').textContent = d.totals.escalated;
            drawMap(d.communes);
            const body = $('overdue').tBodies[0];
            while (body.firstChild) body.removeChild(body.firstChild);
            for (const o of d.overdue) {
              const row = document.createElement('tr');
              row.setAttribute('data-incident', o.incident);
              cell(row, o.incident); cell(row, o.severity, 'sev-' + o.severity); cell(row, o.level);
              cell(row, o.commune_name + ' (' + o.commune + ')'); cell(row, local(o.due)); cell(row, o.minutes_late);
              cell(row, o.callback === 'unsafe' ? 'KHÔNG · NO' : o.callback, o.callback === 'unsafe' ? 'unsafe' : '');
              body.appendChild(row);
            }
            $('overdue-count').textContent = d.overdue_total;
            $('month').textContent = d.ack_times.month;
            const ack = $('ack').tBodies[0];
            while (ack.firstChild) ack.removeChild(ack.firstChild);
            for (const s of ['critical', 'high', 'normal', 'low']) {
              const a = d.ack_times.by_severity[s];
              const row = document.createElement('tr');
              row.setAttribute('data-severity', s);
              cell(row, s); cell(row, a.count); cell(row, minutes(a.median_s)); cell(row, minutes(a.p90_s));
              ack.appendChild(row);
            }
            $('annual').textContent = lang === 'vi' ? d.annual.text_vi : d.annual.text_en;
            document.body.setAttribute('data-loaded', d.generated_at);
          }
          async function refresh() {
            try {
              const r = await fetch('/api/dashboard', { credentials: 'same-origin', cache: 'no-store' });
              if (r.status === 401) { window.location.assign('/login'); return; }
              if (!r.ok) throw new Error('HTTP ' + r.status);
              render(await r.json());
              $('status').textContent = '';
            } catch (e) {
              $('status').textContent = 'Không tải được · could not load: ' + e.message;
            }
          }
          $('lang-vi').addEventListener('click', () => { lang = 'vi'; if (last) render(last); });
          $('lang-en').addEventListener('click', () => { lang = 'en'; if (last) render(last); });
          refresh();
          setInterval(refresh, 15000);
        })();

        """#

    static let style = """
        body { font: 14px/1.4 system-ui, sans-serif; margin: 0 1.5em 2em; color: #1a202c; background: #f7fafc; }
        header { display: flex; align-items: baseline; gap: 1.5em; border-bottom: 1px solid #cbd5e0; }
        header form { margin-left: auto; }
        h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.2em; }
        #totals { display: flex; gap: 2em; margin: 1em 0; }
        .total b { font-size: 2em; margin-right: .3em; }
        .total.overdue b { color: #c53030; } .total.escalated b { color: #c05621; }
        .columns { display: flex; gap: 2em; flex-wrap: wrap; }
        .columns > section { flex: 1 1 480px; }
        #map { width: 100%; max-width: 600px; background: #fff; border: 1px solid #cbd5e0; }
        circle.overdue { fill: #c53030; fill-opacity: .85; } circle.escalated { fill: #dd6b20; fill-opacity: .85; }
        circle.open { fill: #2b6cb0; fill-opacity: .8; } circle.none { fill: #a0aec0; fill-opacity: .6; }
        .dot { display: inline-block; width: .8em; height: .8em; border-radius: 50%; }
        .dot.overdue { background: #c53030; } .dot.escalated { background: #dd6b20; } .dot.open { background: #2b6cb0; } .dot.none { background: #a0aec0; }
        table { border-collapse: collapse; background: #fff; } th, td { border: 1px solid #e2e8f0; padding: .2em .5em; text-align: left; }
        td.unsafe { color: #c53030; font-weight: bold; } td.sev-critical { color: #c53030; font-weight: bold; }
        pre { background: #fff; border: 1px solid #cbd5e0; padding: 1em; white-space: pre-wrap; }
        body.login main { max-width: 22em; margin: 4em auto; } body.login label { display: block; margin: .8em 0; }
        body.login input { display: block; width: 100%; padding: .3em; } .error { color: #c53030; }

        """
}
