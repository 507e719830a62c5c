"""Dossier, output: imported only by the PDF renderers' forkserver (see render_process).

Rendering one small document here loads WeasyPrint, fontconfig and the CJK fonts once; every
renderer forked afterwards starts with them in memory instead of spending ~0.5 s loading them.
"""

from app.dossier.render_pdf import pdf_bytes

pdf_bytes('<html lang="zh-CN"><body><h1>投诉材料</h1><table><tr><td>1</td><td>Dossier 预热'
           '</td></tr></table><p class="hash">0123abcdef</p></body></html>')
