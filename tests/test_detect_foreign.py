"""Markers, privilege and health facts in languages other than English (tiergate.foreign_markers)."""

from __future__ import annotations

import pytest

from tiergate.detect import Detector

DETECTOR = Detector()

FOUND = [
    ("health", "Der Patient leidet seit Jahren an Diabetes, sagt die Ärztin."),
    ("health", "La patiente souffre d'asthme sévère."),
    ("health", "A paciente foi diagnosticada com câncer de mama."),
    ("health", "患者は高血圧の治療中です。"),
    ("health", "환자는 우울증 진단을 받았습니다."),
    ("health", "病人确诊为哮喘。"),
    ("confidential_marker", "Strikt vertrouwelijk: cijfers voor de cliënt"),
    ("confidential_marker", "Ściśle poufne: wyniki kwartalne"),
    ("confidential_marker", "極秘 プロジェクト計画"),
    ("confidential_marker", "대외비 - 3분기 실적"),
    ("legal_privilege", "Dokument unterliegt dem Anwaltsgeheimnis und ist vertraulich für Müller."),
    ("legal_privilege", "Comunicação protegida por sigilo profissional do advogado."),
    ("legal_privilege", "本件は守秘義務の対象です。"),
    ("credential", "Kennwort: Qm4!tRz8Lp"),
    ("credential", "пароль: Vb6Nm1Kq9z"),
    ("credential", "密码\uff1aLk3Jh7Gf2D"),
]

CLEAN = [
    "Das Archiv enthält Diagnosedaten der Maschine.",
    "がんばってください、明日は試験です。",
    "パスワードは暗号化されています。",
    "Ich habe eine Frage zur Rechnung für März.",
    "Le musée est fermé le lundi.",
    "Plasmafernseher für das Büro bestellt.",
    "Kennwort: erforderlich",
    "Kennwort vergessen? Hier zurücksetzen.",
]


@pytest.mark.parametrize(("kind", "text"), FOUND, ids=[f"{k}:{t[:20]}" for k, t in FOUND])
def test_foreign_words_are_found(kind: str, text: str) -> None:
    assert kind in DETECTOR.scan([text]).kinds


@pytest.mark.parametrize("text", CLEAN)
def test_ordinary_foreign_text_stays_clean(text: str) -> None:
    assert DETECTOR.scan([text]).kinds == ()
