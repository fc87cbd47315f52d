"""Calling the WSGI application the way gunicorn does, without a server: request signals, the
persistent database connection and the whole middleware stack run as in production."""

import io


def wsgi_post(app, path: str, body: bytes, *, authorization: str) -> tuple[str, bytes]:
    """POST a JSON `body` to `path` of the WSGI `app`: its status line and its content."""
    statuses = []
    content = b"".join(
        app(
            {
                "REQUEST_METHOD": "POST",
                "PATH_INFO": path,
                "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "80",
                "SERVER_PROTOCOL": "HTTP/1.1",
                "HTTP_HOST": "127.0.0.1",
                "REMOTE_ADDR": "127.0.0.1",
                "wsgi.url_scheme": "http",
                "wsgi.input": io.BytesIO(body),
                "CONTENT_LENGTH": str(len(body)),
                "CONTENT_TYPE": "application/json",
                "HTTP_AUTHORIZATION": authorization,
            },
            lambda status, headers: statuses.append(status),
        )
    )
    return statuses[0], content
