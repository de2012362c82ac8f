"""offline/apigateway/vtl.py, the API Gateway mapping-template renderer: each $input and $util function, the JSONPath
subset, $context and its responseOverride, and the Java methods templates call."""

from __future__ import annotations

import json

import pytest

from offline.apigateway.vtl import VtlError, escape_javascript, jsonpath, render

# --- $util.escapeJavaScript ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ('say "hi"', 'say \\"hi\\"'),
        ("back\\slash", "back\\\\slash"),
        ("</script>", "<\\/script>"),
        ("it's", "it\\'s"),
        ("a\nb\rc\td\be\ff", "a\\nb\\rc\\td\\be\\ff"),
        ("\x01\x1f", "\\u0001\\u001F"),
    ],
    ids=["double-quote", "backslash", "slash", "single-quote", "short-control-escapes", "other-control-characters"],
)
def test_escape_javascript_escapes_as_commons_lang_does(raw, escaped):
    assert escape_javascript(raw) == escaped


def test_escape_javascript_writes_non_ascii_as_uppercase_utf16_escapes():
    assert escape_javascript("é中😀") == "\\u00E9\\u4E2D\\uD83D\\uDE00"


def test_escape_javascript_can_leave_non_ascii_as_it_is():
    assert escape_javascript("é中😀", escape_non_ascii=False) == "é中😀"


def test_escape_javascript_of_null_is_null_and_renders_nothing():
    assert escape_javascript(None) is None
    assert render("[$util.escapeJavaScript($input.path('$.missing'))]", body="{}").output == "[]"


def test_escape_javascript_with_the_documented_quote_fix_is_a_json_string():
    nasty = 'it\'s "quoted" \\ </script>\n\t é 😀'
    template = """{"value": "$util.escapeJavaScript($input.path('$.v')).replaceAll("\\\\'","'")"}"""
    assert json.loads(render(template, body=json.dumps({"v": nasty})).output) == {"value": nasty}


# --- other $util functions ----------------------------------------------------------------------------


def test_parse_json_gives_the_template_an_object():
    template = "#set($inner = $util.parseJson($input.path('$.output')))$inner.caseId"
    assert render(template, body=json.dumps({"output": json.dumps({"caseId": "c-1"})})).output == "c-1"


def test_parse_json_of_text_that_is_not_json_fails():
    with pytest.raises(VtlError, match="parseJson"):
        render("$util.parseJson('not json')")


def test_url_encode_writes_form_encoding_as_java_does():
    assert render("$util.urlEncode('a b*~/é')").output == "a+b*%7E%2F%C3%A9"


def test_url_decode_reads_form_encoding():
    assert render("$util.urlDecode('a+b%2F%C3%A9')").output == "a b/é"


def test_base64_encode_encodes_utf8():
    assert render("$util.base64Encode('é!')").output == "w6kh"


def test_base64_decode_decodes_to_text():
    assert render("$util.base64Decode('w6kh')").output == "é!"


def test_base64_decode_of_bytes_that_are_not_utf8_gives_replacement_characters_as_java_does():
    # 0xD3 0x4D is not UTF-8 (0xD3 starts a two-byte sequence 0x4D cannot continue): Java puts U+FFFD for it.
    assert render("$util.base64Decode('000=')").output == "\ufffdM"


def test_base64_decode_of_something_else_fails():
    with pytest.raises(VtlError, match="base64Decode"):
        render("$util.base64Decode('not base64!')")


# --- $input -------------------------------------------------------------------------------------------


def test_input_body_is_the_raw_payload():
    assert render("$input.body", body='{"a":  1}').output == '{"a":  1}'


def test_input_json_is_the_json_text_of_the_selection():
    body = json.dumps({"a": {"b": [1, "x"]}, "s": "text"})
    assert render("$input.json('$.a')|$input.json('$.s')", body=body).output == '{"b":[1,"x"]}|"text"'


def test_input_json_of_an_empty_payload_is_an_empty_object():
    assert render("$input.json('$')", body="").output == "{}"


def test_input_path_gives_objects_to_iterate():
    body = json.dumps({"items": [{"n": "a"}, {"n": "b"}]})
    template = "#foreach($item in $input.path('$.items'))$item.n#if($foreach.hasNext),#end#end"
    assert render(template, body=body).output == "a,b"


def test_input_path_of_a_payload_that_is_not_json_fails():
    with pytest.raises(VtlError, match="not JSON"):
        render("$input.path('$.a')", body="<xml/>")


def test_input_params_maps_path_querystring_and_header():
    output = render(
        "$input.params().path.id $input.params().querystring.q $input.params().header.get('X-H')",
        path_params={"id": "p"},
        query={"q": "s"},
        headers={"X-H": "h"},
    ).output
    assert output == "p s h"


def test_input_params_by_name_looks_in_path_then_querystring_then_header():
    output = render(
        "$input.params('a') $input.params('b') $input.params('c')",
        path_params={"a": "path"},
        query={"a": "query", "b": "query"},
        headers={"a": "header", "b": "header", "c": "header"},
    ).output
    assert output == "path query header"


def test_input_params_of_an_absent_name_renders_nothing():
    assert render("[$input.params('nope')]").output == "[]"


# --- JSONPath -----------------------------------------------------------------------------------------

DOCUMENT = {"a": {"b": [10, {"c": "deep"}]}, "odd key": 1, "n": None}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("$", DOCUMENT),
        ("$.a.b", [10, {"c": "deep"}]),
        ("$.a.b[0]", 10),
        ("$.a.b[1].c", "deep"),
        ("$.a.b[-1].c", "deep"),
        ("$['odd key']", 1),
        ('$["a"]["b"][0]', 10),
    ],
)
def test_jsonpath_selects(path, value):
    assert jsonpath(DOCUMENT, path) == value


@pytest.mark.parametrize("path", ["$.missing", "$.a.missing.deeper", "$.a.b[5]", "$.a[0]", "$.n.x"])
def test_jsonpath_of_something_missing_is_null(path):
    assert jsonpath(DOCUMENT, path) is None


@pytest.mark.parametrize("path", ["$..c", "$.a.b[*]", "$.a.*", "$.a.b[?(@.c)]", "$.a.b[0:1]", "a.b"])
def test_jsonpath_outside_the_subset_fails_rather_than_selecting_nothing(path):
    with pytest.raises(VtlError, match="JSONPath"):
        jsonpath(DOCUMENT, path)


# --- $context, responseOverride, $stageVariables ------------------------------------------------------


def test_context_values_come_from_the_caller():
    context = {
        "requestId": "r-1",
        "requestTimeEpoch": 1767225600123,
        "identity": {"sourceIp": "203.0.113.9"},
        "authorizer": {"claims": {"cognito:username": "agent-7", "email": "a@example.com"}},
    }
    template = (
        "$context.requestId $context.requestTimeEpoch $context.identity.sourceIp "
        "$context.authorizer.claims['cognito:username'] $context.authorizer.claims.email"
    )
    assert render(template, context=context).output == "r-1 1767225600123 203.0.113.9 agent-7 a@example.com"


def test_context_has_a_request_id_and_a_millisecond_request_time_by_default():
    request_id, epoch = render("$context.requestId $context.requestTimeEpoch").output.split()
    assert len(request_id) == 36 and len(epoch) == 13


def test_response_override_status_and_headers_are_returned():
    template = '#set($context.responseOverride.status = 502)#set($context.responseOverride.header.Retry-After = "5")'
    assert render(template).response_override == {"status": 502, "header": {"Retry-After": "5"}}


def test_no_response_override_when_the_template_sets_none():
    assert render("{}").response_override == {}


def test_stage_variables_are_readable():
    assert render("$stageVariables.busName", stage_variables={"busName": "bus-1"}).output == "bus-1"


# --- Java methods and errors --------------------------------------------------------------------------


def test_java_string_methods_templates_use_are_available():
    template = (
        '#set($name = " Idempotency-Key ")'
        '$name.trim().toLowerCase()|$name.trim().equalsIgnoreCase("IDEMPOTENCY-KEY")|$name.isEmpty()'
    )
    assert render(template).output == "idempotency-key|true|false"


def test_java_map_contains_key_is_available():
    template = "#if($input.path('$').containsKey('a'))yes#end #if($input.path('$').containsKey('b'))no#end"
    assert render(template, body='{"a": null}').output == "yes "


def test_a_template_with_a_syntax_error_fails():
    with pytest.raises(VtlError):
        render("#if($x")


def test_string_matches_is_a_whole_string_match_as_in_java():
    template = "#if($input.path('$.a').matches('[a-z]+$'))yes#{else}no#end"
    assert render(template, body=json.dumps({"a": "abc"})).output == "yes"
    # Java's $ would match before a final newline in find(); matches() needs the whole string.
    assert render(template, body=json.dumps({"a": "abc\n"})).output == "no"
    assert render(template, body=json.dumps({"a": "abc1"})).output == "no"


def test_string_matches_refuses_python_only_regex_syntax_as_java_would():
    with pytest.raises(VtlError, match="PatternSyntaxException"):
        render("$input.path('$.a').matches('(?P<x>a)')", body=json.dumps({"a": "a"}))


def test_string_length_counts_utf16_units_as_java_does():
    assert render("$input.path('$.a').length()", body=json.dumps({"a": "a😀é"})).output == "4"


def test_code_point_count_counts_characters():
    template = "#set($s = $input.path('$.a'))$s.codePointCount(0, $s.length())"
    assert render(template, body=json.dumps({"a": "a😀é"})).output == "3"
    # A lone surrogate, which JSON allows, is one code point.
    assert render(template, body='{"a": "x\\ud800"}').output == "2"


def test_code_point_count_out_of_range_fails_as_java_throws():
    with pytest.raises(VtlError, match="IndexOutOfBounds"):
        render("$input.path('$.a').codePointCount(0, 9)", body=json.dumps({"a": "ab"}))


def test_a_template_parsed_once_renders_each_request_with_its_own_values_across_threads():
    from concurrent.futures import ThreadPoolExecutor

    template = "#set($r = $input.path('$'))#foreach($k in $r.keys())$k=$r.get($k);#end"

    def one(i: int) -> str:
        return render(template, body=json.dumps({"n": i, "m": i * 2})).output

    with ThreadPoolExecutor(max_workers=8) as pool:
        outputs = list(pool.map(one, range(64)))
    assert outputs == [f"n={i};m={i * 2};" for i in range(64)]
