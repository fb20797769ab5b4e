"""Writes the completion test files in this folder (committed; run this only to change them):

    .venv/bin/python tests/data/completions/generate.py

They name the staff 000101 (Ann Lee), 000102 (Ben Ortiz) and 000103 (Cara Diaz) and the courses
crt-101 (3 clock hours) and rp-201 (6), as tests/imports/test_completions.py sets them up.

completions.csv and completions.xlsx hold the same four records (the xlsx with a title row and a
blank row above the header on row 3, an id as a number, dates as date cells and one as an Excel
serial); errors.csv has one row error of each kind and one valid row."""

import csv
import datetime as dt
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
HEADER = ["Employee ID", "Course Code", "Completion Date", "Hours", "Evidence Note"]
RECORDS = [
    ("000101", "crt-101", dt.date(2023, 3, 4), "", "Summer institute certificate"),
    ("000102", "CRT-101", dt.date(2023, 3, 4), "2.5", "Sign-in sheet"),
    ("000101", "rp-201", dt.date(2022, 11, 15), "6", ""),
    ("000103", "rp-201", dt.date(2024, 1, 9), "", "Transcript from the state portal"),
]
ERRORS = [
    ("999999", "crt-101", "03/04/2023", "", "unknown person"),
    ("000101", "nope-999", "03/04/2023", "", "unknown course"),
    ("000102", "rp-201", "31/31/2023", "", "unreadable date"),
    ("000102", "crt-101", "01/01/2199", "", "future date"),
    ("000103", "crt-101", "2023-05-05", "lots", "bad hours"),
    ("000103", "rp-201", "2023-06-01", "", "duplicate, first"),
    ("000103", "rp-201", "6/1/2023", "", "duplicate, second"),
    ("000101", "crt-101", "2023-09-01", "3", "valid"),
]


def write_csv(name, rows):
    with (HERE / name).open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(HEADER)
        for employee_id, course, day, hours, note in rows:
            writer.writerow(
                [employee_id, course, day if isinstance(day, str) else day.isoformat(), hours, note]
            )


def write_xlsx():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Completions"
    sheet.append(["External PD completions"])
    sheet.append([])
    sheet.append(HEADER)
    for index, (employee_id, course, day, hours, note) in enumerate(RECORDS):
        if index == 1:
            cell_id = int(employee_id)  # Excel stored this id as a number
        else:
            cell_id = employee_id
        cell_day = (day - dt.date(1899, 12, 30)).days if index == 2 else day
        sheet.append([cell_id, course, cell_day, float(hours) if hours else None, note or None])
    for row in sheet.iter_rows(min_row=4, min_col=3, max_col=3):
        if isinstance(row[0].value, dt.datetime | dt.date):
            row[0].number_format = "mm/dd/yyyy"
    workbook.save(HERE / "completions.xlsx")


if __name__ == "__main__":
    write_csv("completions.csv", RECORDS)
    write_csv("errors.csv", ERRORS)
    write_xlsx()
