#!/usr/bin/env python3
"""Extract every real package version from shared/realdata into the lists the differential
version tests pair up (committed xz-compressed, since a user's clone has no shared/).

  rpm-evrs.txt: every EVR (`epoch:version-release`) found in the realdata rpm-md primary and
                updateinfo files and in the rpm -qa lists of the real RPM databases.
  deb-versions.txt: every Version (and `Source: name (version)`) in the realdata Debian Packages
                indexes and dpkg status files.

Usage: extract.py REALDATA_DIR OUT_DIR
"""
import bz2, gzip, lzma, os, re, sys

realdata, out = sys.argv[1], sys.argv[2]

def open_any(path):
    data = open(path, 'rb').read()
    if data[:2] == b'\x1f\x8b':
        data = gzip.decompress(data)
    elif data[:6] == b'\xfd7zXZ\x00':
        data = lzma.decompress(data)
    elif data[:3] == b'BZh':
        data = bz2.decompress(data)
    return data.decode('utf-8', 'replace')

rpm = set()
deb = set()
attr = lambda name, tag: re.search(r'\b%s="([^"]*)"' % name, tag)
for dirpath, _, files in os.walk(realdata):
    for f in files:
        p = os.path.join(dirpath, f)
        if f.endswith(('.xml', '.xml.gz')) and ('primary' in f or 'updateinfo' in f):
            text = open_any(p)
            # primary: <version epoch="0" ver="1.2" rel="3"/>
            for tag in re.findall(r'<version\b[^>]*>', text):
                e, v, r = attr('epoch', tag), attr('ver', tag), attr('rel', tag)
                if v and r:
                    rpm.add('%s:%s-%s' % (e.group(1) if e else '0', v.group(1), r.group(1)))
            # updateinfo: <package name=.. epoch=.. version=.. release=.. arch=..>
            for tag in re.findall(r'<package\b[^>]*>', text):
                e, v, r = attr('epoch', tag), attr('version', tag), attr('release', tag)
                if v and r:
                    rpm.add('%s:%s-%s' % (e.group(1) if e and e.group(1) else '0', v.group(1), r.group(1)))
        elif f.endswith('.rpm-qa.tsv'):
            for line in open(p, encoding='utf-8', errors='replace'):
                cols = line.rstrip('\n').split('\t')
                if cols[0] == 'name' or len(cols) < 4:
                    continue
                epoch = cols[1] if cols[1] not in ('', '(none)') else '0'
                rpm.add('%s:%s-%s' % (epoch, cols[2], cols[3]))
        elif 'Packages' in f and f.endswith(('.xz', '.gz')) or f.endswith('status') or f.endswith('.status') \
                or 'status.d' in dirpath:
            if f.endswith(('.tsv', '.json', '.cmd', '.err', '.rc', '.out')):
                continue
            text = open_any(p)
            for m in re.finditer(r'^Version: *(\S+)\s*$', text, re.M):
                deb.add(m.group(1))
            for m in re.finditer(r'^Source: *\S+ \((\S+)\)\s*$', text, re.M):
                deb.add(m.group(1))

os.makedirs(out, exist_ok=True)
for name, values in (('rpm-evrs.txt.xz', rpm), ('deb-versions.txt.xz', deb)):
    with lzma.open(os.path.join(out, name), 'wt', encoding='utf-8', preset=9) as fh:
        for v in sorted(values):
            fh.write(v + '\n')
    print(name, len(values))
