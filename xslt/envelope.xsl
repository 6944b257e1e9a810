<?xml version="1.0" encoding="UTF-8"?>
<!--
  Envelope of an invoice: the EN 16931 terms the gateway routes and checks on.

  THE ONLY PLACE where the gateway's routing XPaths are written. Each business term is one
  global variable named after its BT id, selecting the node(s) in UBL 2.1 (Invoice, CreditNote)
  and UN/CEFACT CII (also the CII inside Factur-X) in a single union: only one syntax matches a
  given document. Bindings: ../shared/domain/chorus-pro.md §1.4 (EN 16931 syntax bindings, the
  Factur-X 1.08 "CHORUS PRO" notes, the FNFE-MPE Flux 2 schematrons for the 0224 routing code).

  Used twice:
    * edi_gateway/envelope.py runs this stylesheet (XSLT 1.0, lxml) and reads the output
          <envelope><term bt="BT-1" field="number">F2026-001</term> ...</envelope>
      (one <term> per term present; @scheme carries the identifier scheme when there is one;
      @field names the edi_gateway.model.Envelope attribute);
    * rules/cpp-reception.xsl imports it (Saxon, XSLT 2.0) and uses the variables, so the CPP
      reception rules and the envelope can never disagree on where a term sits.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:inv="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
    xmlns:cn="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
    xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
    exclude-result-prefixes="inv cn cac cbc rsm ram udt">

  <xsl:output method="xml" encoding="UTF-8" indent="yes"/>

  <!-- Document roots and the groups the terms hang from -->
  <xsl:variable name="ubl" select="/inv:Invoice | /cn:CreditNote"/>
  <xsl:variable name="cii" select="/rsm:CrossIndustryInvoice"/>
  <xsl:variable name="cii-doc" select="$cii/rsm:ExchangedDocument"/>
  <xsl:variable name="cii-agreement"
      select="$cii/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"/>
  <xsl:variable name="cii-settlement"
      select="$cii/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"/>
  <xsl:variable name="cii-totals"
      select="$cii-settlement/ram:SpecifiedTradeSettlementHeaderMonetarySummation"/>
  <xsl:variable name="ubl-totals" select="$ubl/cac:LegalMonetaryTotal"/>
  <!-- BG-4 Seller, BG-7 Buyer -->
  <xsl:variable name="seller"
      select="$ubl/cac:AccountingSupplierParty/cac:Party | $cii-agreement/ram:SellerTradeParty"/>
  <xsl:variable name="buyer"
      select="$ubl/cac:AccountingCustomerParty/cac:Party | $cii-agreement/ram:BuyerTradeParty"/>

  <!-- BT-1 Invoice number -->
  <xsl:variable name="BT-1" select="$ubl/cbc:ID | $cii-doc/ram:ID"/>
  <!-- BT-2 Issue date (UBL YYYY-MM-DD; CII format 102 YYYYMMDD) -->
  <xsl:variable name="BT-2"
      select="$ubl/cbc:IssueDate | $cii-doc/ram:IssueDateTime/udt:DateTimeString"/>
  <!-- BT-3 Invoice type code -->
  <xsl:variable name="BT-3"
      select="$ubl/cbc:InvoiceTypeCode | $ubl/cbc:CreditNoteTypeCode | $cii-doc/ram:TypeCode"/>
  <!-- BT-5 Invoice currency code -->
  <xsl:variable name="BT-5"
      select="$ubl/cbc:DocumentCurrencyCode | $cii-settlement/ram:InvoiceCurrencyCode"/>
  <!-- BT-10 Buyer reference (historic CPP service code) -->
  <xsl:variable name="BT-10" select="$ubl/cbc:BuyerReference | $cii-agreement/ram:BuyerReference"/>
  <!-- BT-12 Contract reference (marché) -->
  <xsl:variable name="BT-12"
      select="$ubl/cac:ContractDocumentReference/cbc:ID
              | $cii-agreement/ram:ContractReferencedDocument/ram:IssuerAssignedID"/>
  <!-- BT-13 Purchase order reference (engagement juridique, EJ) -->
  <xsl:variable name="BT-13"
      select="$ubl/cac:OrderReference/cbc:ID
              | $cii-agreement/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"/>
  <!-- BT-23 Business process type (cadre de facturation; A1 when absent) -->
  <xsl:variable name="BT-23"
      select="$ubl/cbc:ProfileID
              | $cii/rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID"/>
  <!-- BT-25 Preceding invoice reference (first one) -->
  <xsl:variable name="BT-25"
      select="($ubl/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID
               | $cii-settlement/ram:InvoiceReferencedDocument/ram:IssuerAssignedID)[1]"/>
  <!-- BT-27 Seller name -->
  <xsl:variable name="BT-27" select="$seller/cac:PartyLegalEntity/cbc:RegistrationName | $seller/ram:Name"/>
  <!-- BT-29 Seller identifier (first one, with BT-29-1 scheme) -->
  <xsl:variable name="BT-29"
      select="($seller/cac:PartyIdentification/cbc:ID | $seller/ram:ID | $seller/ram:GlobalID)[1]"/>
  <!-- BT-30 Seller legal registration identifier: SIREN (scheme 0002, or no scheme) -->
  <xsl:variable name="BT-30"
      select="($seller/cac:PartyLegalEntity/cbc:CompanyID
               | $seller/ram:SpecifiedLegalOrganization/ram:ID)[not(@schemeID) or @schemeID = '0002'][1]"/>
  <!-- BT-40 Seller country code -->
  <xsl:variable name="BT-40"
      select="$seller/cac:PostalAddress/cac:Country/cbc:IdentificationCode
              | $seller/ram:PostalTradeAddress/ram:CountryID"/>
  <!-- BT-44 Buyer name -->
  <xsl:variable name="BT-44" select="$buyer/cac:PartyLegalEntity/cbc:RegistrationName | $buyer/ram:Name"/>
  <!-- BT-46 Buyer identifier with scheme 0009 (SIRET) -->
  <xsl:variable name="BT-46-0009"
      select="($buyer/cac:PartyIdentification/cbc:ID | $buyer/ram:GlobalID)[@schemeID = '0009'][1]"/>
  <!-- BT-46 Buyer identifier with scheme 0224 (routing code = CPP service code, reform) -->
  <xsl:variable name="BT-46-0224"
      select="($buyer/cac:PartyIdentification/cbc:ID | $buyer/ram:GlobalID)[@schemeID = '0224'][1]"/>
  <!-- BT-47 Buyer legal registration identifier -->
  <xsl:variable name="BT-47"
      select="($buyer/cac:PartyLegalEntity/cbc:CompanyID | $buyer/ram:SpecifiedLegalOrganization/ram:ID)[1]"/>
  <!-- BT-81 Payment means type code (first one) -->
  <xsl:variable name="BT-81"
      select="($ubl/cac:PaymentMeans/cbc:PaymentMeansCode
               | $cii-settlement/ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode)[1]"/>
  <!-- BT-109 Total without VAT -->
  <xsl:variable name="BT-109" select="$ubl-totals/cbc:TaxExclusiveAmount | $cii-totals/ram:TaxBasisTotalAmount"/>
  <!-- BT-110 Total VAT amount: the tax total in the invoice currency (BT-111 is the other one) -->
  <xsl:variable name="tax-totals" select="$ubl/cac:TaxTotal/cbc:TaxAmount | $cii-totals/ram:TaxTotalAmount"/>
  <xsl:variable name="BT-110"
      select="($tax-totals[@currencyID = $BT-5]
               | $tax-totals[not($tax-totals[@currencyID = $BT-5])])[1]"/>
  <!-- BT-112 Total with VAT -->
  <xsl:variable name="BT-112" select="$ubl-totals/cbc:TaxInclusiveAmount | $cii-totals/ram:GrandTotalAmount"/>
  <!-- BT-115 Amount due for payment -->
  <xsl:variable name="BT-115" select="$ubl-totals/cbc:PayableAmount | $cii-totals/ram:DuePayableAmount"/>

  <!-- Routing choices (docs/reception.md): recipient SIRET = BT-46 scheme 0009, else BT-47;
       service code = BT-46 scheme 0224 (reform routing code), else BT-10. -->
  <xsl:variable name="buyer-siret" select="$BT-46-0009 | $BT-47[not($BT-46-0009)]"/>
  <xsl:variable name="service-code" select="$BT-46-0224 | $BT-10[not($BT-46-0224)]"/>

  <!-- Every seller identifier (each BT-29, BT-30 whatever its scheme): used to tell whether the
       seller is itself a public structure of the directory (FACTURES_PUBLIQUES rule). -->
  <xsl:variable name="seller-ids"
      select="$seller/cac:PartyIdentification/cbc:ID | $seller/ram:ID | $seller/ram:GlobalID
              | $seller/cac:PartyLegalEntity/cbc:CompanyID | $seller/ram:SpecifiedLegalOrganization/ram:ID"/>

  <!-- Every monetary amount (CPP: at most 2 decimals), except unit prices and their
       allowances (BT-146..BT-148), which EN 16931 lets carry more decimals. -->
  <xsl:variable name="amounts"
      select="$ubl//cbc:*[substring(local-name(), string-length(local-name()) - 5) = 'Amount']
                         [not(self::cbc:PriceAmount) and not(ancestor::cac:Price)]
              | $cii//ram:*[substring(local-name(), string-length(local-name()) - 5) = 'Amount']
                         [not(ancestor::ram:GrossPriceProductTradePrice)
                          and not(ancestor::ram:NetPriceProductTradePrice)]"/>

  <xsl:template match="/">
    <envelope>
      <xsl:attribute name="syntax">
        <xsl:choose>
          <xsl:when test="$cii">cii</xsl:when>
          <xsl:when test="/cn:CreditNote">ubl-creditnote</xsl:when>
          <xsl:when test="$ubl">ubl-invoice</xsl:when>
          <xsl:otherwise>other</xsl:otherwise>
        </xsl:choose>
      </xsl:attribute>
      <xsl:call-template name="term"><xsl:with-param name="bt" select="'BT-1'"/><xsl:with-param name="field" select="'number'"/><xsl:with-param name="node" select="$BT-1"/></xsl:call-template>
      <xsl:call-template name="term"><xsl:with-param name="bt" select="'BT-2'"/><xsl:with-param name="field" select="'issue_date'"/><xsl:with-param name="node" select="$BT-2"/></xsl:call-template>
      <xsl:call-template name="term"><xsl:with-param name="bt" select="'BT-3'"/><xsl:with-param name="field" select="'type_code'"/><xsl:with-param name="node" select="$BT-3"/></xsl:call-template>
      <xsl:call-template name="term"><xsl:with-param name="bt" select="'BT-5'"/><xsl:with-param name="field" select="'currency'"/><xsl:with-param name="node" select="$BT-5"/></xsl:call-template>
      <xsl:call-template name="term"><xsl:with-param name="bt" select="'BT-23'"/><xsl:with-param name="field" select="'billing_framework'"/><xsl:with-param name="node" select="$BT-23"/></xsl:call-template>
      <xsl:call-template name="term"><xsl:with-param name="bt" select="'BT-27'"/><xsl:with-param name="field" select="'seller_name'"/><xsl:with-param name="node" select="$BT-27"/></xsl:call-template>
      <xsl:call-template name="term"><xsl:with-param name="bt" select="'BT-29'"/><xsl:with-param name="field" select="'seller_id'"/><xsl:with-param name="node" select="$BT-29"/></xsl:call-template>
      <xsl:call-template name="term"><xsl:with-param name="bt" select="'BT-30'"/><xsl:with-param name="field" select="'seller_siren'"/><xsl:with-param name="node" select="$BT-30"/></xsl:call-template>
      <xsl:call-template name="term"><xsl:with-param name="bt" select="'BT-40'"/><xsl:with-param name="field" select="'seller_country'"/><xsl:with-param name="node" select="$BT-40"/></xsl:call-template>
      <xsl:call-template name="term"><xsl:with-param name="bt" select="'BT-44'"/><xsl:with-param name="field" select="'buyer_name'"/><xsl:with-param name="node" select="$BT-44"/></xsl:call-template>
      <xsl:call-template name="term">
        <xsl:with-param name="bt">
          <xsl:choose><xsl:when test="$BT-46-0009">BT-46</xsl:when><xsl:otherwise>BT-47</xsl:otherwise></xsl:choose>
        </xsl:with-param>
        <xsl:with-param name="field" select="'buyer_siret'"/><xsl:with-param name="node" select="$buyer-siret"/>
      </xsl:call-template>
      <xsl:call-template name="term">
        <xsl:with-param name="bt">
          <xsl:choose><xsl:when test="$BT-46-0224">BT-46</xsl:when><xsl:otherwise>BT-10</xsl:otherwise></xsl:choose>
        </xsl:with-param>
        <xsl:with-param name="field" select="'service_code'"/><xsl:with-param name="node" select="$service-code"/>
      </xsl:call-template>
      <xsl:call-template name="term"><xsl:with-param name="bt" select="'BT-12'"/><xsl:with-param name="field" select="'contract'"/><xsl:with-param name="node" select="$BT-12"/></xsl:call-template>
      <xsl:call-template name="term"><xsl:with-param name="bt" select="'BT-13'"/><xsl:with-param name="field" select="'engagement'"/><xsl:with-param name="node" select="$BT-13"/></xsl:call-template>
      <xsl:call-template name="term"><xsl:with-param name="bt" select="'BT-25'"/><xsl:with-param name="field" select="'preceding_invoice'"/><xsl:with-param name="node" select="$BT-25"/></xsl:call-template>
      <xsl:call-template name="term"><xsl:with-param name="bt" select="'BT-81'"/><xsl:with-param name="field" select="'payment_means'"/><xsl:with-param name="node" select="$BT-81"/></xsl:call-template>
      <xsl:call-template name="term"><xsl:with-param name="bt" select="'BT-109'"/><xsl:with-param name="field" select="'total_without_vat'"/><xsl:with-param name="node" select="$BT-109"/></xsl:call-template>
      <xsl:call-template name="term"><xsl:with-param name="bt" select="'BT-110'"/><xsl:with-param name="field" select="'total_vat'"/><xsl:with-param name="node" select="$BT-110"/></xsl:call-template>
      <xsl:call-template name="term"><xsl:with-param name="bt" select="'BT-112'"/><xsl:with-param name="field" select="'total_with_vat'"/><xsl:with-param name="node" select="$BT-112"/></xsl:call-template>
      <xsl:call-template name="term"><xsl:with-param name="bt" select="'BT-115'"/><xsl:with-param name="field" select="'amount_due'"/><xsl:with-param name="node" select="$BT-115"/></xsl:call-template>
    </envelope>
  </xsl:template>

  <!-- One <term>: the first node's whitespace-normalised value, with its scheme when any.
       An absent or empty term writes nothing. -->
  <xsl:template name="term">
    <xsl:param name="bt"/>
    <xsl:param name="field"/>
    <xsl:param name="node"/>
    <xsl:variable name="first" select="$node[1]"/>
    <xsl:if test="normalize-space($first) != ''">
      <term bt="{$bt}" field="{$field}">
        <xsl:if test="$first/@schemeID">
          <xsl:attribute name="scheme"><xsl:value-of select="$first/@schemeID"/></xsl:attribute>
        </xsl:if>
        <xsl:value-of select="normalize-space($first)"/>
      </term>
    </xsl:if>
  </xsl:template>

</xsl:stylesheet>
