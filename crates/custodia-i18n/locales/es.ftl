# Catálogo en español de Custodia. Las claves son los códigos estables (E07, ON_HOLD,
# HELD_BEYOND_RELEASE) o nombres de textos de las páginas; en.ftl tiene exactamente las mismas
# claves (una prueba falla si no). docs/languages.md explica cómo añadir un mensaje.

## Idiomas y formatos

language-name = Español
date-long = { $day } de { $month } de { $year }
days = { $count ->
    [one] { $count } día
   *[other] { $count } días
}
month-1 = enero
month-2 = febrero
month-3 = marzo
month-4 = abril
month-5 = mayo
month-6 = junio
month-7 = julio
month-8 = agosto
month-9 = septiembre
month-10 = octubre
month-11 = noviembre
month-12 = diciembre

## Mensajes de los códigos estables (errores de la API, rechazos, alertas, textos de las reglas,
## mensajes de la línea de órdenes). La clave es el código; los atributos son sus formas
## particulares (`NOT_FOUND.record`).

# Los códigos genéricos de la API y de la línea de órdenes.
UNAUTHENTICATED = se requiere un token de portador válido
    .token = el token no es válido ({ $why ->
        [expired] ha caducado
        [disabled] el usuario está desactivado
        [role] rol desconocido
       *[unknown] desconocido o revocado
    })
    .sign-in = nombre de usuario o contraseña incorrectos
    .metrics = se requiere el token de métricas
NOT_FOUND = no existe tal recurso
    .route = no existe tal ruta
    .record = { $what ->
        [person] la persona
        [case] el caso
        [agreement] el acuerdo
        [invoice] la factura
        [user] el usuario
        [user-change] el cambio de usuario
        [cell-change] el cambio de celdas
        [incident] el incidente
        [complaint] la queja
        [facility] el centro
        [care-record] el registro de atención
        [placement] el aislamiento
        [inspection] la inspección
        [token] el token
        [subscription] la suscripción
       *[other] { $what }
    } { $id } no existe
    .recommendation = la inspección { $id } no tiene la recomendación { $index }
    .person-of = la persona { $id } de { $state } no existe
    .facility = la instalación { $facility } del acuerdo { $agreement } no existe
    .register = no hay ningún registro en { $place }: créelo con `custodia init --admin NOMBRE` (o indique con --data-dir / --database uno existente)
    .detail = no encontrado: { $detail }
    .tile = { $tile } no está en el diario de { $size } eventos (un mosaico parcial solo existe con el ancho que le da el tamaño actual)
FORBIDDEN = el rol { $role } no puede hacer esto ({ $capability })
    .subscriptions = el rol { $role } no puede suscribirse aquí a las alertas: hace falta un rol distinto de admin cuyo ámbito abarque todos los establecimientos del acuerdo
    .overrides = el rol { $role } no puede aprobar excepciones de capacidad
    .access-changes = el rol { $role } no puede consultar los cambios de acceso
    .whole-journal = los eventos mismos son para inspectores y auditores cuyo ámbito cubre todos los acuerdos del registro (el rol { $role }, { $scope })
    .journal-events = los eventos son para inspectores y auditores (el rol { $role } puede leer los mosaicos de hashes, el punto de control y las pruebas)
INVALID = la solicitud fue rechazada
    .unreadable = no se pudo leer la solicitud
    .required = no debe estar vacío
    .too-long = debe tener como máximo { $max } bytes (tiene { $length })
    .length = debe tener de 1 a { $max } caracteres
    .date = { $value }: { $why ->
        [no-such-day] no existe ese día del calendario ({ $month } de { $year } tiene { $days } días)
        [no-such-month] no existe el mes { $month }
        [no-such-year] no existe el año 0000 (los años empiezan en 0001)
        [range] fecha fuera del intervalo admitido 0001-01-01..9999-12-31
       *[format] debe ser una fecha escrita AAAA-MM-DD
    }
    .not-one-of = { $value } no es ninguno de estos: { $allowed }
    .must-be = debe ser uno de estos: { $list }
    .range = debe estar entre 1 y { $max }
    .future = debe estar en el futuro
    .items = como máximo { $max } elementos
    .url = debe ser una URL http:// o https:// con un host y sin espacios
    .secret = debe tener de { $min } a { $max } bytes
    .email = debe ser una dirección de correo (nombre@dominio)
    .not-for-channel = no se usa en este canal
    .json = debe ser application/json
    .etag = debe ser una ETag
    .not-both = indique { $a } o { $b }, no ambos
    .lifetime = { $value } no es una duración como 30d, 8h, 90m o 3600s
    .ten-years = debe ser como máximo diez años
    .ten-years-away = debe estar como máximo a diez años
    .scope = debe enumerar de 1 a { $max } identificadores, o "*"
    .not-an-id = { $value } no es un identificador
    .unknown-agreement = { $value } no es un acuerdo de este registro (conocidos: { $known })
    .password = debe tener de 12 caracteres a { $max } bytes
    .label = debe tener de 1 a { $max } bytes sin caracteres de control
    .no-change = no cambia nada: indique un nuevo rol, acuerdos o centros
    .bytes = debe tener de 1 a { $max } bytes
    .control = no debe contener caracteres de control
    .at-least = debe ser como mínimo { $min }
    .beyond-journal = { $size } va más allá del diario, que tiene { $events } eventos
    .old-size = debe estar entre 1 y el tamaño del árbol, { $size }
    .after-end = no debe ser posterior al final de la exportación ({ $end })
    .between = debe estar entre { $min } y { $max }
    .run-months = corridas × meses debe ser como máximo { $max } (es { $value })
    .is-not = { $value } no es ninguno de estos: { $list }
    .approval = no es una aprobación para este caso y esta celda
    .one-finding = como máximo una conclusión por regla
    .rule = { $value } no es un código de regla (E01 a E15)
    .two-findings = { $rule } tiene dos conclusiones
    .case-state = { $value } no es un estado de caso
    .in-future = { $at } está en el futuro (ahora es { $now })
    .not-admitted = un examen de ingreso es de una persona ingresada: este caso no tiene acta de ingreso
    .only-refused = solo una visita denegada tiene motivo y razón
    .not-placement = el registro { $id } es { $kind ->
        [examination] un examen
        [visit] una visita
       *[other] { $kind }
    }, no un aislamiento
    .before-from = no puede ser anterior a `from`
    .period-too-long = el periodo debe ser menor de { $max } días
    .confidential-filer = una queja confidencial la registra un inspector o un funcionario del Estado remitente (el centro nunca la lee)
    .other-agreement = el caso { $case } es del acuerdo { $of }, no de { $agreement }
    .before-incident = es anterior al incidente ({ $occurred })
    .key = debe tener de 1 a { $max } caracteres ASCII visibles
    .required-for = es obligatorio para { $action }
    .action = { $value } no es una acción (las retenciones se imponen y levantan en /api/v1/holds)
    .etag-of = { $value } no es una ETag de esta API
    .format = { $value } debe ser json, canonical o csv
    .integer = { $value } debe ser un número entero
    .too-large = demasiado grande
    .rows = más de { $max } filas: envíe el archivo por partes, o use { $command }
    .locator-id = indique solo person_id, de 1 a 256 caracteres
    .locator-together = indique family_name y birth_year juntos
    .locator-name = family_name de 1 a 200 caracteres y un año de 1850 a 2100
    .locator-none = indique person_id, o family_name y birth_year
    .detail = dato no válido: { $detail }
CONFLICT = la solicitud entra en conflicto con otra
    .user-exists = el usuario { $name } ya existe (los nombres se comparan sin distinguir mayúsculas ni espacios alrededor)
    .register-exists = ya existe un registro en { $place }: no se ha cambiado nada
    .key-in-flight = se está respondiendo a una solicitud con esta clave
    .key-reused = esta clave se usó para otra solicitud (difieren el método, la ruta o el cuerpo)
PRECONDITION_FAILED = el caso cambió desde la versión indicada en If-Match
    .detail = versión desactualizada: { $detail }
INTERNAL = error interno (registrado)
    .framework = error interno
TIMEOUT = la solicitud tardó demasiado
    .deadline = la solicitud no se respondió en { $ms } ms; una escritura que pedía aún puede completarse: compruébelo antes de reintentar, o reintente con la misma Idempotency-Key
RATE_LIMITED = demasiados intentos desde esta dirección; reintente dentro de { $seconds } s
    .framework = demasiadas solicitudes; reintente más tarde
HEADERS_TOO_LARGE = las cabeceras de la solicitud son demasiado grandes
    .count = como máximo { $max } cabeceras de { $bytes } bytes en total
    .size = la línea de solicitud y las cabeceras tienen { $size } bytes; se aceptan como máximo { $max }
PAYLOAD_TOO_LARGE = el cuerpo de la solicitud es demasiado grande
    .limit = el cuerpo de la solicitud supera los { $max } bytes (el ajuste max_body_bytes)
METHOD_NOT_ALLOWED = el recurso no admite este método (véase Allow)
UNSUPPORTED_MEDIA_TYPE = el cuerpo debe ser application/json

# Rechazos: el código y sus hechos.
msg-refusal = { $code }: { $facts }
msg-case-step-refused = caso { $case }: { $step } rechazado: { $reason }
msg-person-propose-refused = persona { $person }: propuesta rechazada: { $reason }
msg-place-cell = la celda { $cell }
msg-phrase-receiving-approval = la aprobación del Estado receptor
msg-phrase-sending-approval = la aprobación del Estado remitente
msg-phrase-first-override-approval = la primera aprobación de la excepción
msg-phrase-review-resolution = la resolución de la revisión
msg-phrase-hold-lifting = el levantamiento de la retención
msg-phrase-override-reason = el motivo escrito de la excepción
msg-phrase-reason = el motivo
msg-phrase-hold-reference = la referencia de la retención
msg-phrase-hold-authority = la autoridad de la retención
msg-phrase-lifting-reference = la referencia de la decisión de levantamiento
msg-phrase-challenge-reasons = los motivos escritos de la decisión
msg-phrase-finding-evidence = la prueba de cada conclusión
INVALID_TRANSITION = el caso está en { $state }; { $step } requiere el estado { $needs }
ON_HOLD = hay una retención judicial vigente ({ $holds }); { $step } espera a que se levante
CHALLENGE_PENDING = la impugnación de la persona ({ $challenges }) no está resuelta; { $step } espera a que dos funcionarios jurídicos la resuelvan
NOT_APPROVED = el ingreso requiere la aprobación de ambos Estados; falta: { $missing }
SAME_APPROVER = { $user } ya dio { $gave }; la segunda requiere otro usuario
    .override = una excepción requiere dos personas: la aprobación debe ser de otro usuario
NOT_ELIGIBLE = { $rules } (evaluado el { $on })
NEEDS_REVIEW = { $rules } (evaluado el { $on }); una revisión confirmada debe resolver cada regla desconocida
NOT_UNKNOWN = { $rule } no es desconocida en la evaluación del caso; una revisión solo resuelve reglas desconocidas
INCOMPLETE_REVIEW = no hay conclusión para { $rules }; una revisión da una conclusión para cada regla desconocida
NO_LEGAL_BASIS = sin base legal el { $day }: { $why }
    .refusal = sin base legal: { $why }
AGREEMENT_ENDED = el acuerdo terminó el { $ends }; el día del paso es el { $on }
NO_COMMITMENT_ORDER = el ingreso requiere la referencia de una orden de internamiento
NO_INTAKE_RECORD = al registro de ingreso le falta: { $missing }
CAPACITY_FLOOR = { $place } aloja a { $current } con un mínimo absoluto de { $floor }
CONTRACTED_PLACES = { $current } detenidos en { $facility } para { $places } plazas contratadas
NEEDS_OVERRIDE = { $place } aloja a { $current } con una capacidad estándar de { $standard } (mínimo absoluto { $floor }); una persona más requiere una excepción de dos usuarios distintos con un motivo
UNKNOWN_HOLD = ninguna retención vigente tiene la referencia { $reference }
NO_REASON = { $what } no debe estar vacío
WRONG_DESTINATION = la orden de expulsión envía a la persona a { $record }, no a { $asked }
    .no-record = no consta ninguna orden de expulsión firme con destino (pedido: { $asked })
NOT_IMPORTED_UNDER_AGREEMENT = la persona { $person } no se importó bajo el acuerdo { $agreement }: importe antes su expediente bajo ese acuerdo
APPROVAL_USED = la aprobación de excepción { $id } ya se usó
ALREADY_CONFIRMED = el { $what ->
        [user-change] cambio de usuario
       *[cell-change] cambio de celdas
    } { $id } ya lo confirmó { $by }
    .detail = ya confirmado: { $detail }
TWO_PERSON_RULE = { $what ->
        [user-change] el cambio de usuario { $id } lo propuso { $by }: lo confirma otro administrador
        [enable] la reactivación del usuario { $id } la propuso { $by }: la confirma otro administrador
        [draft] regla de dos personas: { $by } preparó el borrador { $id }; otro usuario debe emitirlo
       *[cell-change] el cambio de celdas { $id } lo propuso { $by }: lo confirma otro usuario
    }
    .detail = regla de dos personas: { $detail }
CELL_OCCUPIED = el cambio de celdas { $id } elimina celdas en las que hay personas: { $cells }; trasládelas antes
STALE = versión desactualizada: { $detail }
ALREADY_DISABLED = el usuario { $name } ya está desactivado
NOT_DISABLED = el usuario { $name } no está desactivado
LAST_ADMIN = el usuario { $name } es el último administrador activo: nombre antes a otro administrador
USER_DISABLED = el usuario { $name } está desactivado: no se emite ningún token
EMPTY_JOURNAL = el diario aún no tiene eventos
FORECAST_TOO_LARGE = { $arrivals } llegadas (corridas × meses × ingresos) superan las { $max } que admite una solicitud: pida menos corridas o meses, o use `custodia forecast`
NOBODY_ELIGIBLE = nadie puede llegar: ninguna persona resultó admisible el primer día de la previsión
REFUSED = rechazado: { $detail }
    .issued = { $number } (borrador { $id }) ya está emitida
NOT_ISSUED = la factura { $id } ({ $number }) es un borrador: solo se exportan documentos emitidos
NOT_PENDING = la notificación a { $recipient } { $why ->
        [sent] ya consta como enviada
       *[not-required] no es obligatoria para este incidente
    }
RECOMMENDATION_STATE = una recomendación no puede pasar de { $from } a { $to }
NO_INVESTIGATION = el incidente { $id } es de tipo { $kind } y no tiene investigación (solo una denuncia de tortura la abre)
INVESTIGATION_STATE = una investigación no puede pasar de { $from } a { $to } (open → investigating → closed)
    .detail = { $detail }
FINDING_REQUIRED = cerrar una investigación requiere una conclusión: substantiated, unsubstantiated o inconclusive
FINDING_NOT_CLOSING = solo el cierre de una investigación registra una conclusión

SINGLE_ADMIN = el registro tiene un solo administrador, cuyos cambios de usuarios surten efecto sin la confirmación de un segundo administrador: añada un segundo administrador
INPUT = datos no válidos: { $detail }

# Alertas: el código, con los hechos de la alerta.
RETURN_NOT_SCHEDULED = el retorno vence el { $by } y no está programado
RETURN_OVERDUE = el retorno vencía el { $by }
HELD_BEYOND_RELEASE = la excarcelación prevista era el { $release }
HOLD_IN_TRANSIT = hay una retención judicial vigente mientras la persona está en tránsito
CONTRACTED_PLACES_EXCEEDED = { $count } bajo custodia para { $places } plazas contratadas
STANDARD_CAPACITY_EXCEEDED = { $count } detenidos frente a una capacidad estándar de { $standard }
NOTIFICATION_OVERDUE = { $recipient } no notificado; con un retraso de { $late }
INELIGIBLE_IN_CUSTODY = el expediente actual no cumple { $rules } (evaluado a fecha { $on })
COURT_RETURN_OVERDUE = la orden judicial { $reference } ({ $authority }) ordena un retorno; ninguno programado antes del { $due }
AGREEMENT_ENDING = el acuerdo termina el { $ends } y no hay ningún retorno programado
HELD_AFTER_AGREEMENT_END = el acuerdo terminó el { $ends }
STUCK_IN_TRANSIT = en tránsito desde hace { $hours } horas (límite { $limit } horas)
CELL_ABOVE_STANDARD = { $count } detenidos frente a una capacidad estándar de { $standard }: { $share ->
        [none] { $area } m², nadie detenido
        [rounded] { $area } m² para { $count }: { $each } m² por persona (redondeado a la baja)
       *[exact] { $area } m² para { $count }: { $each } m² por persona
    }
OVERRIDE_EXPIRED = por encima de su capacidad estándar de { $standard } desde la excepción del { $day }, más de { $max } días
CELL_ABOVE_FLOOR = { $count } detenidos frente a un mínimo absoluto de { $floor }: { $share ->
        [none] { $area } m², nadie detenido
        [rounded] { $area } m² para { $count }: { $each } m² por persona (redondeado a la baja)
       *[exact] { $area } m² para { $count }: { $each } m² por persona
    }
INVESTIGATION_OVERDUE = investigación { $state } { $days } días después de la denuncia (debe cerrarse en { $limit })
COMPLAINT_UNANSWERED = una queja ({ $category }) sigue sin respuesta { $days } días después del plazo
WITNESS_COSIGNATURE_OVERDUE = el testigo { $witness } solo ha refrendado los primeros { $size } eventos; los siguientes esperan desde hace { $hours } horas
ALREADY_ANSWERED = la queja ya tiene respuesta; una respuesta nunca se reemplaza
ALREADY_ESCALATED = la queja ya fue elevada
UNKNOWN_BODY = no es un órgano de inspección que el acuerdo nombre (`inspection_bodies`)
MEDICAL_EXAM_OVERDUE = ingresó hace { $hours } horas y ningún médico la ha examinado (se debe examinar en las 24 horas siguientes al ingreso)
VISITS_BELOW_MINIMUM = { $held } visitas o llamadas familiares en { $month }, por debajo del mínimo de { $minimum } del acuerdo
CONSULAR_ACCESS_OVERDUE = { $held } visitas consulares en los últimos 91 días, por debajo del mínimo de { $minimum } del acuerdo (última: { $last })
PROLONGED_SOLITARY = en aislamiento desde hace { $days } días consecutivos: más de 15 es aislamiento prolongado (Regla Mandela 44)
SOLITARY_REVIEW_OVERDUE = en aislamiento sin revisión médica desde hace { $hours } horas (se debe una cada día)
NOT_IN_CUSTODY = la persona no está recluida en un centro bajo este caso
COUNSEL_NOT_REFUSABLE = la visita de un abogado nunca se deniega por falta de capacidad
INJURIES_UNDOCUMENTED = el acta de ingreso registró lesiones visibles: el examen de ingreso debe documentarlas (`injuries`)
UNFIT_FOR_SOLITARY = el último examen médico declaró a la persona no apta para el aislamiento
ALREADY_IN_SOLITARY = la persona ya está en aislamiento
ALREADY_ENDED = el aislamiento ya terminó
END_BEFORE_START = el fin es anterior al inicio del aislamiento

# Las reglas de elegibilidad (docs/rules.md): los mismos textos que imprime `custodia screen --explain`.
E01 = La condena debe ser firme: sin recurso pendiente.
E02 = La persona debe haber cumplido la edad mínima del acuerdo en la fecha de evaluación.
E03 = La pena impuesta debe tener al menos la duración mínima del acuerdo.
E04 = Deben quedar al menos los días mínimos del acuerdo antes de la excarcelación prevista.
E05 = La pena no debe estar ya cumplida: la excarcelación prevista debe ser posterior a la fecha de evaluación.
E06 = El acuerdo excluye las penas de cadena perpetua.
E07 = Un Estado no puede desterrar a sus propios ciudadanos: los nacionales del Estado remitente están excluidos o necesitan consentimiento.
E08 = El acuerdo excluye a los nacionales del Estado receptor.
E09 = Al menos una nacionalidad debe figurar entre las que permite el acuerdo.
E10 = La persona debe consentir el traslado (si el acuerdo lo permite, una orden de expulsión firme sustituye al consentimiento).
E11 = Se requiere una orden de expulsión firme.
E12 = El acuerdo excluye esta categoría de delito.
E13 = La clasificación de seguridad debe ser una de las que permite el acuerdo.
E14 = Se excluye a las personas con necesidades de atención que el centro no puede cubrir.
E15 = Una evaluación vigente debe descartar el riesgo de tortura en el Estado receptor (no devolución).

# La línea de órdenes.
msg-cli-nothing-changed = { $message }; no se ha cambiado nada
msg-cli-no-alerts = no hay alertas abiertas de { $agreement } el { $on }

## The public locator's page (locator-)

locator-title = Buscar a una persona custodiada en virtud de un acuerdo
locator-skip = Ir a la búsqueda
locator-languages = Idioma
locator-intro = Cualquier persona puede preguntar dónde está alguien custodiado en virtud de un acuerdo de custodia. La respuesta indica solo la situación, el centro, el país y desde cuándo; nada más sobre la persona.
locator-by-id = Por identificador
locator-person-id = Identificador dado por el Estado remitente
locator-person-id-hint = Por ejemplo, el número de registro que figura en los documentos judiciales.
locator-or = o
locator-by-name = Por apellido y año de nacimiento
locator-family-name = Apellido
locator-family-name-hint = Basta con uno de los apellidos; no importan las tildes ni las mayúsculas.
locator-birth-year = Año de nacimiento
locator-birth-year-hint = Cuatro cifras, por ejemplo 1990.
locator-search = Buscar
locator-results = Resultados
locator-found = { $count ->
    [one] Se encontró una persona
   *[other] Se encontraron { $count } personas
}
locator-none = No se encontró a nadie. Revise la ortografía y el año, o pregunte con el identificador.
locator-col-status = Situación
locator-col-facility = Centro
locator-col-country = País
locator-col-since = Desde
locator-status-in_transit = En traslado
locator-status-in_custody = Bajo custodia
locator-status-return_scheduled = Retorno programado
locator-status-returned = Retornado
locator-status-released = Puesto en libertad
locator-status-deceased = Fallecido
locator-no-facility = No está en un centro
locator-contact = A quién llamar
locator-error = No se pudo hacer la búsqueda
locator-error-person_id = Indique solo el identificador (de 1 a 256 caracteres), sin apellido ni año.
locator-error-family_name = Indique un apellido de 1 a 200 caracteres.
locator-error-birth_year = Indique el apellido junto con un año de nacimiento entre 1850 y 2100.
locator-error-query = No se entendió la búsqueda; vuelva a llenar el formulario.
locator-rate-limited = Demasiadas búsquedas desde esta dirección. Vuelva a intentarlo dentro de { $seconds } segundos.
locator-unavailable = El localizador no puede responder en este momento. Vuelva a intentarlo más tarde.
locator-footer = Solo se buscan los acuerdos que publican su localizador. Las búsquedas están limitadas por dirección.

## Interfaz web (web-…)

web-skip-to-content = Saltar al contenido
web-language-switch = Idioma
web-language-unknown = El idioma pedido no está disponible: elija es o en.
web-nav-label = Principal
web-nav-home = Inicio
web-nav-waiting = Pendiente de usted
web-nav-cases = Casos
web-sign-out = Cerrar sesión
web-footer = Custodia — el registro, reglamento y libro contable compartidos de un acuerdo de custodia.
web-refused-title = Rechazado
web-refusal-code = Código
web-back-home = Volver al inicio
web-field = campo
web-csrf-refused = El formulario no llevaba el código de seguridad de esta sesión (regla: todo formulario se envía con el código CSRF de la sesión que lo mostró). No se cambió nada. Vuelva a cargar la página e inténtelo de nuevo.
web-no-randomness = El servidor no pudo obtener números aleatorios para una sesión; no se cambió nada.
web-sign-in-title = Iniciar sesión
web-sign-in = Iniciar sesión
web-sign-in-name = Nombre de usuario
web-sign-in-password = Contraseña
web-sign-in-UNAUTHENTICATED = Nombre de usuario o contraseña incorrectos.
web-sign-in-RATE_LIMITED = Demasiados intentos fallidos desde esta dirección o para este usuario: espere un minuto antes de volver a intentarlo.
web-home-title = Custodia
web-home-welcome = Sesión iniciada como { $name }.
web-own-language = Su idioma
web-own-language-label = Idioma de las páginas, dondequiera que inicie sesión
web-own-language-browser = El que pida mi navegador
web-own-language-save = Guardar
web-home-agreements = Acuerdos
web-home-no-agreements = Ningún acuerdo está en su ámbito.
web-home-cases-of = casos
web-role-admin = administrador
web-role-sending_officer = funcionario del Estado de envío
web-role-receiving_officer = funcionario del Estado receptor
web-role-facility_officer = funcionario del centro
web-role-legal_officer = oficial jurídico
web-role-finance_officer = oficial de finanzas
web-role-inspector = inspector
web-role-auditor = auditor
web-role-medical_officer = personal médico
web-overview-term = En vigor del { $starts } al { $ends }. Hoy: { $today }.
web-overview-population = Población a lo largo del tiempo
web-overview-chart-title = Personas en custodia frente a plazas contratadas y capacidades
web-overview-chart-desc = Una línea de las personas en custodia el primer día de cada mes y hoy ({ $in_custody } ahora), frente a líneas planas de plazas contratadas, capacidad según la norma ({ $standard }), capacidad mínima y la capacidad que declara el Estado receptor ({ $stated }).
web-overview-chart-caption = Línea continua con puntos: personas en custodia. Rayas largas: plazas contratadas. Puntos: capacidad según la norma. Raya y punto: capacidad mínima. Línea fina continua: capacidad declarada. Las mismas cifras están en la tabla de abajo.
web-overview-table-caption = Personas en custodia por día, con los niveles con que se comparan
web-overview-day = Día
web-overview-in-custody = En custodia
web-overview-contracted = Plazas contratadas
web-overview-standard = Capacidad según la norma
web-overview-floor = Capacidad mínima
web-overview-stated = Capacidad declarada
web-overview-alerts = Alertas abiertas
web-overview-alerts-by-severity = Alertas abiertas por gravedad
web-overview-alerts-by-code = Alertas abiertas por código
web-overview-alert-code = Código
web-overview-alert-severity = Gravedad
web-overview-alert-count = Abiertas
web-severity-critical = Crítica
web-severity-warning = Aviso
web-overview-returns = Retornos pendientes
web-overview-returns-scheduled = Retornos programados
web-overview-returns-alerted = Retornos no programados a tiempo o vencidos (alertas)
web-overview-revenue = Ingresos
web-overview-revenue-to-date = Facturado hasta la fecha (facturas emitidas menos notas de crédito): { $amount }
web-waiting-intro = Pasos de dos personas que otra persona inició y que su función le permite completar. Completar uno pasa por las mismas reglas que la API: el registro lo rechaza si no puede hacerse.
web-waiting-none = Nada está pendiente de usted.
web-waiting-caption = Pasos pendientes de usted
web-waiting-what = Paso
web-waiting-agreement = Acuerdo
web-waiting-record = Registro
web-waiting-started-by = Iniciado por
web-waiting-action = Completar
web-waiting-open-case = Abrir el caso
web-waiting-issue = Emitir la factura
web-waiting-confirm = Confirmar
web-step-case_approval = Aprobación de un caso evaluado por su Estado
web-step-review_to_confirm = Una resolución de revisión por confirmar
web-step-hold_lift = El levantamiento de una orden judicial por confirmar
web-step-invoice_to_issue = Una factura por emitir
web-step-cell_change = Un cambio de celdas por confirmar
web-step-user_change = Un cambio de usuario por confirmar
web-step-user_enable = La reactivación de un usuario, por confirmar
web-step-override_to_use = Una excepción de capacidad aprobada para usarla en una ubicación
web-step-amendment_to_approve = Una enmienda del acuerdo, por aprobar
web-waiting-approve = Aprobar
web-cases-agreement = Acuerdo
web-cases-state = Estado
web-cases-any-state = cualquier estado
web-cases-filter = Mostrar
web-cases-propose = Proponer un caso
web-cases-propose-person = Persona (identificador del Estado de envío)
web-cases-caption = Casos ({ $count } mostrados)
web-cases-case = Caso
web-cases-person = Persona (identificador del Estado de envío)
web-cases-facility = Centro
web-cases-more = Hay más casos: acote el filtro.
web-case-title = Caso { $id }
web-case-summary = Persona { $person } bajo el acuerdo { $agreement }; estado: { $state }.
web-case-timeline = Cronología
web-case-day = Día
web-case-action = Paso
web-case-from-to = De → a
web-case-reason = Motivo
web-case-by = Por
web-case-not-screened = Aún no evaluado.
web-case-decision = Decisión
web-case-screened-on = Evaluado el { $day }:
web-case-rule-outcomes = Resultado de cada regla
web-case-rule = Regla
web-case-outcome = Resultado
web-case-review = Revisión resuelta por { $reviewer }; confirmada por { $confirmed }.
web-outcome-pass = se cumple
web-outcome-fail = no se cumple
web-outcome-unknown = desconocido (faltan datos)
web-outcome-upheld = estimada
web-outcome-dismissed = desestimada
web-case-approvals = Aprobaciones
web-case-sending-approval = Estado de envío
web-case-receiving-approval = Estado receptor
web-case-holds = Órdenes judiciales
web-case-no-holds = Ninguna orden judicial.
web-case-hold-reference = Orden
web-case-hold-authority = Tribunal o autoridad
web-case-hold-order = Efecto
web-case-hold-placed = Registrada por, el
web-case-hold-lifting = Decisión de levantamiento · pedida por · confirmada por
web-hold-order-stop = detener todo traslado
web-hold-order-return = devolver a la persona
web-hold-order-challenge = impugnación de la persona (hasta que se resuelva)
web-case-actions = Lo que usted puede hacer
web-case-no-actions = Su función no puede tomar ninguna acción en este caso en su estado actual.
web-action-screen = Evaluar
web-action-approve = Aprobar por su Estado
web-action-schedule = Programar el traslado
web-action-depart = Registrar la salida
web-action-admit = Ingresar
web-action-move = Trasladar a otra celda
web-action-schedule_return = Programar el retorno
web-action-return = Registrar el retorno
web-action-turn_back = Hacer regresar el traslado
web-action-release = Liberar
web-action-remove = Expulsar
web-action-record_death = Registrar un fallecimiento
web-action-withdraw = Retirar el caso
web-action-refuse = Rechazar el caso
web-action-resolve_review = Resolver la revisión
web-action-confirm_review = Confirmar la revisión
web-action-place_hold = Registrar una orden judicial
web-action-lift_hold = Pedir el levantamiento de esta orden
web-action-confirm_lift = Confirmar el levantamiento de esta orden
web-action-decide_challenge = Resolver esta impugnación
web-field-reason = Código del motivo (por ejemplo APPROVED, FLIGHT_LEFT)
web-field-finding = conclusión
web-field-evidence = prueba
web-field-admission-commitment_order = Orden de internamiento
web-field-admission-receiving_id = Número del Estado receptor (opcional)
web-field-admission-admitted_on = Fecha de ingreso
web-field-admission-hour = Hora de ingreso (0–23)
web-field-admission-visible_injuries = Lesiones visibles ("ninguna" es una respuesta)
web-field-admission-property = Pertenencias en custodia
web-field-admission-next_of_kin = Familiar más cercano
web-field-placement-facility_id = Centro
web-field-placement-cell_id = Celda
web-field-placement-override_by = Número de aprobación de excepción (solo por encima de la capacidad según la norma)
web-field-return_on = Fecha de retorno
web-field-to = País (código ISO, por ejemplo VE)
web-field-report = Informe
web-field-authority = Tribunal o autoridad
web-field-reference = Referencia de la orden
web-field-order = Efecto de la orden
web-field-decision_reference = Referencia de la decisión de levantamiento
web-field-outcome = Decisión
web-field-reasons = Motivos escritos
web-overview-facilities = Centros
web-facility-title = Celdas de { $facility }
web-facility-grid-title = Celdas por ocupantes frente a la capacidad según la norma
web-facility-grid-desc = Un cuadrado por celda, marcado con sus ocupantes sobre su capacidad según la norma. Borde fino continuo: dentro de la norma. Borde grueso discontinuo: por encima de la norma, dentro del mínimo. Borde más grueso: por encima del mínimo. Las cifras están en la descripción emergente de cada cuadrado y en la tabla de abajo.
web-facility-grid-caption = Cada cuadrado: ocupantes / capacidad según la norma. Borde: fino = dentro de la norma, discontinuo = por encima de la norma, grueso = por encima del mínimo.
web-facility-cell-tooltip = Celda { $cell }: { $area } m², { $occupants } personas, capacidad según la norma { $standard }, capacidad mínima { $floor }, { $space } m² por persona
web-facility-table-caption = Celdas con su espacio por persona
web-facility-cell = Celda
web-facility-area = Superficie (m²)
web-facility-occupants = Personas
web-facility-space = m² por persona
web-facility-band = Frente a la norma
web-band-within-standard = dentro de la norma
web-band-above-standard = por encima de la norma
web-band-above-floor = por encima del mínimo

## Invoices, sustainability, incidents and inspections pages (web-invoices-…, web-invoice-…, web-sustainability-…, web-incidents-…, web-incident-…, web-inspections-…)
web-oversight-back-to-agreement = Volver al acuerdo
web-overview-oversight-nav = Facturación y supervisión
web-overview-link-invoices = Facturas
web-overview-link-sustainability = Informe de sostenibilidad
web-overview-link-incidents = Incidentes y notificaciones
web-overview-link-inspections = Inspecciones y recomendaciones
web-moment-utc = { $day }, { $time } UTC
web-invoices-title = Facturas de { $agreement }
web-invoices-caption = Facturas y notas de crédito, en el orden en que se redactaron
web-invoices-none = Todavía no se ha redactado ninguna factura para este acuerdo.
web-invoices-number = Número
web-invoices-kind = Documento
web-invoices-period = Periodo
web-invoices-status = Estado
web-invoices-total = Total
web-invoice-kind-invoice = Factura
web-invoice-kind-credit_note = Nota de crédito
web-invoice-status-draft = Borrador
web-invoice-status-issued = Emitida
web-invoices-draft-title = Redactar un documento
web-invoices-draft-period = Periodo de facturación (año y mes, por ejemplo 2025-03)
web-invoices-draft-submit = Redactar la factura
web-invoices-credit-note-intro = Cuando el acuerdo ha terminado y todos los periodos están emitidos, la nota de crédito lo liquida.
web-invoices-credit-note-submit = Redactar la nota de crédito
web-invoices-two-person = Un borrador lo emite un responsable de finanzas distinto del que lo redactó (la regla de las dos personas).
web-invoice-title = { $kind } { $number }
web-invoice-back-to-list = Todas las facturas del acuerdo
web-invoice-summary = El documento
web-invoice-agreement = Acuerdo
web-invoice-prepared-by = Redactado por
web-invoice-issued-by = Emitido por
web-invoice-issued-at = Emitido el
web-invoice-person-days = Días-persona facturados
web-invoice-sha256 = SHA-256 del documento almacenado
web-invoice-lines = Líneas
web-invoice-code = Código
web-invoice-description = Descripción
web-invoice-refers-to = Corrige el periodo
web-invoice-quantity = Cantidad
web-invoice-unit-price = Precio unitario
web-invoice-amount = Importe
web-invoice-warnings = Advertencias
web-invoice-actions = Lo que puede hacer
web-invoice-issue = Emitir este borrador
web-invoice-verify-intro = Comprobar el documento almacenado frente a su hash y sus eventos del registro (no se cambia nada).
web-invoice-verify = Verificar
web-invoice-verification = Verificación
web-invoice-verified-ok = Verificado: el documento coincide con su hash y con sus eventos del registro.
web-invoice-verified-events = Eventos del registro comprobados: { $events }.
web-invoice-verified-problems = { $count ->
    [one] Se encontró una diferencia:
   *[other] Se encontraron { $count } diferencias:
}
web-invoice-export = Exportar
web-invoice-export-csv = Descargar en CSV (una fila por línea)
web-invoice-export-canonical = Descargar el JSON canónico (su SHA-256 es el hash del documento)
web-invoice-export-draft = Un borrador no se exporta: solo los documentos emitidos.
web-sustainability-title = Sostenibilidad de { $agreement }
web-sustainability-intro = Ingresos facturados (solo documentos emitidos) frente a lo que le costaría al Estado remitente mantener en su país los mismos días-persona y frente al presupuesto penitenciario del Estado receptor.
web-sustainability-budget = Presupuesto penitenciario anual del Estado receptor (en unidades menores, opcional)
web-sustainability-home-cost = Costo de un día-persona en el país de origen (en unidades menores; obligatorio salvo que el acuerdo lo facture Estados Unidos en USD)
web-sustainability-show = Mostrar el informe
web-sustainability-figures = Las cifras utilizadas
web-sustainability-currency = Moneda
web-sustainability-home-cost-used = Costo de un día-persona en el país de origen
web-sustainability-budget-used = Presupuesto penitenciario anual del Estado receptor
web-sustainability-no-budget = no indicado
web-sustainability-by-month = Por mes
web-sustainability-by-year = Por año del acuerdo
web-sustainability-chart-title = Facturado por mes, en unidades enteras de { $currency }
web-sustainability-chart-desc = Una línea del importe facturado (documentos emitidos) en cada uno de los { $months } meses de la vigencia; { $total } en total. Un mes aún sin facturar marca cero.
web-sustainability-chart-caption = Línea continua con puntos: el importe facturado por mes, en unidades enteras de la moneda. Los importes exactos están en la tabla de abajo.
web-sustainability-months-caption = El informe por mes
web-sustainability-years-caption = El informe por año del acuerdo
web-sustainability-period = Periodo
web-sustainability-days = Días cubiertos
web-sustainability-documents = Documentos emitidos
web-sustainability-person-days = Días-persona
web-sustainability-invoiced = Facturado (caja)
web-sustainability-home-cost-total = Costo en el país de origen
web-sustainability-saving = Ahorro del Estado remitente (caja)
web-sustainability-budget-share = Parte del presupuesto penitenciario (caja)
web-sustainability-accrued = Devengado (devengo)
web-sustainability-saving-accrual = Ahorro del Estado remitente (devengo)
web-sustainability-budget-share-accrual = Parte del presupuesto penitenciario (devengo)
web-sustainability-departures = Salidas
web-sustainability-returns = Regresos
web-sustainability-transport = Transporte
web-sustainability-not-priced = sin precio
web-sustainability-views = Dos vistas de los mismos documentos emitidos. Caja: cada documento cuenta en el mes para el que se emitió — lo que se facturó y cuándo. Devengo: cada cargo se reparte entre los días que cubre (una cuota per cápita a lo largo de su periodo de cobertura, una corrección en el mes que corrige) — lo que costó cada mes. En toda la vigencia ambas suman lo mismo.
web-sustainability-transport-priced = Los viajes — cada salida hacia el Estado receptor y cada regreso, según los registros de custodia — se valoran con la tarifa de extras del acuerdo, y su costo se descuenta del ahorro del Estado remitente en ambas vistas.
web-sustainability-transport-unpriced = Los viajes — cada salida hacia el Estado receptor y cada regreso, según los registros de custodia — se cuentan pero no se valoran: el acuerdo no tiene tarifa de extras, así que los ahorros no incluyen el transporte.
web-sustainability-double-count = Las facturas emitidas de { $months } llevan extras de transporte introducidos a mano (EXTRA:TRANSPORT…) mientras la tarifa de extras también valora los viajes de los registros de custodia: ese transporte puede contarse dos veces.
web-sustainability-outside-term = { $count } viajes quedan fuera de la vigencia del acuerdo y no se cuentan.
web-sustainability-accrual-chart-title = Devengado por mes, en unidades enteras de { $currency }
web-sustainability-accrual-chart-desc = Una línea del importe devengado (los cargos emitidos repartidos entre los días que cubren) en cada uno de los { $months } meses de la vigencia; { $total } en total.
web-sustainability-accrual-chart-caption = Línea continua con puntos: el importe devengado por mes, en unidades enteras de la moneda. Los importes exactos están en la tabla de abajo.
web-incidents-title = Incidentes de { $agreement }
web-incidents-as-of = Situación actual de las notificaciones, { $now }.
web-incidents-none = No se ha registrado ningún incidente para este acuerdo.
web-incidents-caption = Incidentes, en el orden en que se registraron
web-incidents-incident = Incidente
web-incidents-kind = Tipo
web-incidents-occurred = Ocurrió
web-incidents-case = Caso
web-incidents-notifications = Notificaciones debidas
web-incidents-investigation = Investigación
web-incidents-notifications-title = Notificaciones obligatorias
web-incidents-notifications-caption = Cada notificación debida, con su plazo y si se envió a tiempo
web-incidents-no-notifications = No se debe ninguna notificación.
web-incidents-recipient = Destinatario
web-incidents-deadline = Plazo
web-incidents-sent = Enviada
web-incidents-status = Estado
web-incidents-late-by = (con un retraso de { $late })
web-incident-kind-death = Muerte
web-incident-kind-serious_injury = Lesión grave
web-incident-kind-disappearance = Desaparición
web-incident-kind-use_of_force = Uso de la fuerza
web-incident-kind-torture_allegation = Denuncia de tortura
web-incident-kind-hunger_strike = Huelga de hambre
web-incident-kind-other = Otro
web-recipient-next_of_kin = Familiares
web-recipient-sending_state = Estado remitente
web-recipient-independent_authority = Autoridad independiente
web-notification-pending = pendiente, aún en plazo
web-notification-overdue = vencida, sin enviar
web-notification-sent_on_time = enviada a tiempo
web-notification-sent_late = enviada tarde
web-investigation-open = abierta
web-investigation-investigating = en investigación
web-investigation-closed = cerrada
web-incident-title = Incidente { $id }: { $kind }
web-incident-back-to-list = Todos los incidentes del acuerdo
web-incident-summary = El incidente
web-incident-report = Informe
web-incident-addendum-by = Adenda de { $author }
web-incident-investigation-state = La investigación está { $state }; debe cerrarse a más tardar el { $due }.
web-incident-record = Registrar
web-incident-sent-at = Enviada el (UTC)
web-incident-record-sent = Registrar como enviada
web-incident-investigation-overdue = La investigación está vencida.
web-inspections-title = Inspecciones de { $agreement }
web-inspections-none = No se ha registrado ninguna inspección para este acuerdo.
web-inspections-visit = { $body }, del { $from } al { $to }
web-inspections-findings = Hallazgos
web-inspections-no-findings = No se registraron hallazgos.
web-inspections-recommendations = Recomendaciones
web-inspections-no-recommendations = No se hicieron recomendaciones.
web-inspections-recommendations-caption = Recomendaciones y su situación
web-inspections-number = N.º
web-inspections-recommendation = Recomendación
web-inspections-state = Estado
web-inspections-action = Cambiar
web-inspections-move-to = Nuevo estado
web-inspections-move = Registrar
web-inspections-final = definitivo
web-recommendation-open = abierta
web-recommendation-accepted = aceptada
web-recommendation-implemented = aplicada
web-recommendation-rejected = rechazada

## Person file and journal pages (web-person-…, web-journal-…)

web-nav-journal = Registro de eventos
web-case-person-file = Expediente de la persona { $person }
web-person-title = { $name } ({ $id })
web-person-unknown = desconocido
web-person-identity = Identidad
web-person-sending-id = Identificador del Estado remitente
web-person-family-name = Apellidos
web-person-given-names = Nombre
web-person-birth-date = Fecha de nacimiento
web-person-nationalities = Nacionalidades
web-person-sending-state = Estado remitente
web-person-security-class = Clasificación de seguridad
web-person-care-needs = Necesidades de atención
web-person-version = Versión del registro
web-person-aliases = También conocido como
web-person-identifiers = Identificadores
web-person-identifiers-caption = Identificadores en los registros de cada Estado que usted puede ver
web-person-identifier-state = Estado
web-person-identifier-scheme = Tipo
web-person-identifier-value = Identificador
web-person-legal-basis = Base legal hoy
web-person-on-record = Consta una condena firme o una orden de expulsión firme.
web-person-not-on-record = No consta ni una condena firme ni una orden de expulsión firme.
web-person-legal-basis-caption = La base legal para mantener a la persona bajo custodia hoy, calculada a partir del registro vigente como la calculan las alertas
web-person-case = Caso
web-person-agreement = Acuerdo
web-person-day = Día
web-person-basis = Base
web-person-custodian = Custodio legal
web-person-return-by = De vuelta en el Estado remitente a más tardar
web-person-basis-conviction = Condena firme, hasta la excarcelación prevista el { $release }.
web-person-basis-life = Condena firme a cadena perpetua.
web-person-basis-removal = Orden de expulsión firme hacia { $destination }, hasta el { $until }.
web-person-sentence = Cómputo de la condena
web-person-sentence-record = Condena: { $conviction }; inicio de la condena: { $start }; duración: { $term }; abono de prisión preventiva: { $credit } días.
web-person-sentence-caption = Fecha de excarcelación paso a paso (perfil { $profile })
web-person-step = Paso
web-person-operation = Operación
web-person-result = Resultado
web-person-step-start = Inicio de la condena
web-person-step-full-term = Extinción de la condena
web-person-op-term = + duración { $term }, contando el día de inicio como el primero
web-person-step-credit = Menos el abono de prisión preventiva
web-person-days = { $days ->
    [one] { $days } día
   *[other] { $days } días
}
web-person-step-gct = Excarcelación legal
web-person-op-gct = − { $days } días de redención por buena conducta ({ $rate } días por año)
web-person-step-weekday = Excarcelación prevista
web-person-op-weekday = = el último día laborable que no sea festivo federal, nunca antes del inicio
web-person-step-two-thirds = Dos tercios de la condena
web-person-op-two-thirds = = inicio + dos tercios de la duración, menos el abono
web-person-step-not-before-start = Excarcelación prevista
web-person-op-not-before-start = = nunca antes del inicio
web-person-already-due = La excarcelación procedía ya al inicio: la excarcelación prevista es la fecha de inicio.
web-person-release = Excarcelación prevista según { $agreement }: { $release }.
web-person-life = Cadena perpetua: sin fecha de excarcelación.
web-person-no-sentence = Se desconoce el inicio o la duración de la condena: no se puede calcular la fecha de excarcelación.
web-person-history = Historial de custodia
web-person-no-cases = Ningún caso de esta persona está dentro de su ámbito.
web-person-case-summary = Acuerdo { $agreement }; estado: { $state }; centro: { $facility }; celda: { $cell }.
web-person-case-steps = Pasos del caso { $case }
web-person-state = Estado antes → después
web-person-intake-caption = Registro de ingreso del caso { $case }
web-person-no-intake = Sin ingreso: no hay registro de ingreso.
web-person-incidents = Incidentes
web-person-no-incidents = No consta ningún incidente en los casos de esta persona.
web-person-incident = Incidente
web-person-incident-kind = Tipo
web-person-occurred = Ocurrido
web-person-report = Informe
web-person-contacts = Contactos
web-person-no-contacts = No consta ningún contacto en los casos de esta persona.
web-person-contact-at = Cuándo
web-person-contact-who = Con quién
web-person-contact-means = Medio
web-person-contact-note = Nota
web-person-family-contact = Cómo puede preguntar la familia
web-person-no-family-contact = El acuerdo no indica ningún contacto para las familias.
web-person-proof = Prueba en el registro de eventos
web-person-proof-intro = El evento { $index } del registro de eventos contiene el registro vigente de esta persona. Su prueba de inclusión frente al último punto de control:
web-person-proof-checkpoint-link = el último punto de control del registro de eventos
web-person-proof-caption = Prueba de inclusión (RFC 9162)
web-person-proof-index = Evento (índice de hoja, desde 0)
web-person-proof-leaf = Hash de la hoja
web-person-proof-step = Ruta de auditoría, paso { $step }
web-person-proof-verified = La prueba se verifica: el evento está en el árbol firmado.
web-person-proof-failed = La prueba no se verifica frente al punto de control.
web-journal-title = Último punto de control del registro de eventos
web-journal-intro = Cada cambio en el registro es un evento del registro de eventos, un árbol de Merkle cuya cabeza firma el registro. Quien conserve este punto de control podrá demostrar más adelante que la historia solo se ha ampliado.
web-journal-checkpoint = Punto de control
web-journal-origin = Origen
web-journal-tree-size = Tamaño del árbol (eventos)
web-journal-root-hash = Hash raíz
web-journal-signed-at = Firmado (a petición) el
web-journal-last-event = Último evento registrado el
web-journal-verifier-key = Clave de verificación
web-journal-signatures = Firmas
web-journal-key-name = Nombre de la clave
web-journal-key-id = Identificador de la clave
web-journal-signed-by = Firmado por
web-journal-signature = Firma
web-journal-register-key = la clave del registro
web-journal-witness = un testigo (cofirma)
web-journal-no-witnesses = Ningún testigo ha cofirmado este punto de control: lo firma solo el registro.
web-journal-witnesses = { $count ->
    [one] Un testigo ha cofirmado este punto de control.
   *[other] { $count } testigos han cofirmado este punto de control.
}
web-journal-note = La nota firmada
web-journal-note-help = Exactamente como la sirve la API en /api/v1/journal/checkpoint.

# The inspector's report (docs/rights.md#report).
report-complaints-filed = quejas presentadas
report-complaints-answered-on-time = respondidas a tiempo
report-complaints-answered-late = respondidas tarde
report-complaints-unanswered = sin respuesta
report-admissions = ingresos
report-examined-on-time = examinados en las 24 horas siguientes al ingreso
report-person-months = meses completos en custodia (persona-mes)
report-person-months-at-minimum = persona-mes con el mínimo de contacto familiar
report-family-contacts-held = visitas y llamadas familiares realizadas
report-contacts-refused = visitas y llamadas denegadas
report-consular-visits-held = visitas consulares realizadas
report-solitary-placements = aislamientos
report-solitary-days = días en aislamiento
report-prolonged-solitary = aislamientos de más de 15 días consecutivos
report-allegations = denuncias de tortura o malos tratos
report-investigations-closed = investigaciones cerradas
report-investigations-open = investigaciones abiertas
report-chart-title = Quejas por categoría y sus respuestas
forecast-chart-title = Personas bajo custodia por mes (máximo del mes)
forecast-chart-desc = Del percentil 5 al 95 de las corridas como banda y la mediana como línea, en cada uno de los { $months } meses, frente a los límites conocidos; la mediana alcanza { $peak } como máximo. Las cifras exactas están en la tabla.
forecast-chart-band = percentiles 5 a 95 de las corridas; la mediana como línea
forecast-limit-contracted_places = plazas contratadas
forecast-limit-standard_capacity = capacidad según la norma
forecast-limit-floor_capacity = capacidad mínima
forecast-limit-fee_envelope = tope de honorarios
complaint-category-conditions = condiciones
complaint-category-treatment = trato
complaint-category-health = salud
complaint-category-legal = asuntos jurídicos
complaint-category-family = familia
complaint-category-property = pertenencias
complaint-category-other = otros

# The detainee's side page (web-rights-…, docs/rights.md).
web-overview-link-rights = La persona detenida: quejas, atención, informe de inspección
web-overview-link-forecast = Previsión: población, retornos, dinero y límites
web-forecast-title = Previsión de { $agreement }
web-forecast-intro = Una proyección de Monte Carlo desde el registro: las llegadas de cada mes se sortean entre las personas importadas bajo el acuerdo que son admisibles el primer día, cada una retenida hasta que vence su retorno, con las personas bajo custodia ese día como punto de partida. Percentiles por rango más cercano; la misma semilla da la misma previsión.
web-forecast-intake = Llegadas por mes
web-forecast-months = Horizonte, en meses (1 a 240)
web-forecast-runs = Corridas
web-forecast-seed = Semilla
web-forecast-from = Primer día de llegadas (por defecto: hoy)
web-forecast-show = Mostrar la previsión
web-forecast-summary = { $eligible } personas admisibles para el sorteo, { $held } bajo custodia el { $from }; { $runs } corridas, semilla { $seed }.
web-forecast-limits-caption = Cuándo cada límite se supera por primera vez en al menos el 5 % de las corridas
web-forecast-limit = Límite
web-forecast-limit-value = Valor
web-forecast-first-month = Primer mes
web-forecast-not-known = desconocido
web-forecast-not-reached = no dentro del horizonte
web-forecast-reached = { $month } ({ $runs } de { $total } corridas)
web-forecast-chart-caption = La banda: del percentil 5 al 95 de las personas bajo custodia (el máximo del mes) en las corridas; la línea: la mediana; a trazos: los límites. Las cifras exactas están en la tabla de abajo.
web-forecast-months-caption = Por mes: percentil 5 / 50 / 95
web-forecast-month = Mes
web-forecast-population = Bajo custodia (máximo)
web-forecast-returns = Retornos debidos
web-forecast-person-days = Días-persona
web-forecast-invoiced = Facturado
web-forecast-home-cost = Costo en el país
web-rights-title = La persona detenida bajo { $agreement }
web-rights-intro = Solicitudes y quejas, exámenes médicos, visitas y llamadas, aislamiento, y el informe de inspección. Los hallazgos de los exámenes solo los ve el personal médico.
web-rights-report = El informe de inspección
web-rights-facility = Centro
web-rights-from = Desde
web-rights-to = Hasta
web-rights-show = Mostrar
web-rights-chart-caption = Quejas del periodo por categoría: respondidas a tiempo, tarde o sin respuesta.
web-rights-report-caption = Cifras del centro y del periodo
web-rights-complaints = Solicitudes y quejas
web-rights-no-complaints = Ninguna queja que usted pueda leer.
web-rights-complaints-caption = Quejas que usted puede leer, por número
web-rights-id = N.º
web-rights-case = Caso
web-rights-category = Categoría
web-rights-made = Presentada
web-rights-state = Estado
web-rights-answered = respondida
web-rights-answered-late = respondida tarde
web-rights-unanswered = sin respuesta
web-rights-care = Exámenes, visitas y aislamiento
web-rights-no-care = Ningún registro de atención.
web-rights-care-caption = Registros de atención, por número
web-rights-kind = Tipo
web-rights-when = Cuándo
web-rights-what = Qué
web-rights-examination = examen médico
web-rights-fitness = custodia { $custody }, traslado { $transfer }, aislamiento { $solitary }
web-rights-health-file-withheld = historia clínica solo para el personal médico
web-rights-refused = denegada
web-rights-held = realizada
web-rights-solitary = aislamiento
web-rights-ongoing = en curso
web-rights-action = Acción
web-rights-end = Terminar el aislamiento
web-rights-record-visit = Registrar una visita o llamada
web-rights-record-examination = Registrar un examen médico
web-rights-file-complaint = Registrar una solicitud o queja
web-rights-place = Aislar
web-rights-record = Registrar
web-rights-visitor = Visitante o interlocutor
web-rights-outcome = Resultado
web-rights-ground = Motivo de la denegación
web-rights-reason = Razón
web-rights-purpose = Propósito
web-rights-examiner = Examinador (nombre y cualificación)
web-rights-fit-custody = Apto para la custodia
web-rights-fit-transfer = Apto para el traslado
web-rights-fit-solitary = Apto para el aislamiento
web-rights-findings = Hallazgos (historia clínica)
web-rights-injuries = Lesiones documentadas (historia clínica)
web-rights-words = La solicitud o queja, en palabras de la persona
web-rights-confidential = Confidencial: solo para los órganos de inspección y el Estado remitente, nunca para el establecimiento
web-rights-alleges = Denuncia tortura o malos tratos (abre un incidente de denuncia)
web-rights-answer = Responder a una queja
web-rights-answer-text = La respuesta
web-rights-complaint-no = Número de la queja
web-rights-escalate = Elevar una queja a un órgano de inspección
web-rights-body = Órgano de inspección
web-rights-escalate-button = Elevar
web-overview-link-subscriptions = Suscripciones a las alertas y envíos
web-subscriptions-title = Suscripciones a las alertas de { $agreement }
web-subscriptions-intro = El servidor evalúa las alertas del acuerdo cada minuto y tras cada cambio de un caso, y avisa a cada suscripción cuando una alerta se abre y cuando se resuelve.
web-subscriptions-heading = Suscripciones
web-subscriptions-none = Nadie está suscrito a las alertas de este acuerdo.
web-subscriptions-caption = Suscripciones vigentes
web-subscriptions-channel = Canal
web-subscriptions-channel-webhook = Webhook
web-subscriptions-channel-email = Correo electrónico
web-subscriptions-target = Dirección
web-subscriptions-severity = Gravedad mínima
web-subscriptions-severity-warning = Todas las alertas
web-subscriptions-severity-critical = Solo las alertas críticas
web-subscriptions-kinds = Tipos
web-subscriptions-every-kind = todos los tipos
web-subscriptions-kinds-legend = Tipos de alerta (ninguno marcado: todos)
web-subscriptions-created-by = Suscrita por
web-subscriptions-action = Acción
web-subscriptions-remove = Terminar esta suscripción
web-subscriptions-add-heading = Suscribirse
web-subscriptions-url = URL del webhook (http:// o https://)
web-subscriptions-secret = Secreto de firma del webhook (de 16 a 256 bytes)
web-subscriptions-email = Dirección de correo electrónico
web-subscriptions-add = Suscribirse
web-deliveries-heading = Registro de envíos
web-deliveries-none = Todavía no se ha enviado nada.
web-deliveries-caption = Envíos, los más recientes primero
web-deliveries-subscription = Suscripción
web-deliveries-alert = Alerta
web-deliveries-event = Evento
web-deliveries-event-new = nueva
web-deliveries-event-resolved = resuelta
web-deliveries-status = Estado
web-deliveries-status-pending = pendiente
web-deliveries-status-delivered = entregado
web-deliveries-status-failed = fallido
web-deliveries-attempts = Intentos
web-deliveries-detail = Entregado el, o último error
